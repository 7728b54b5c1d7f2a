"""AWS error codes read from any body shape, over HTTP.

Endpoints that are not AWS answer errors in other protocols' shapes: a plain moto server
renders its IAM denials as Query XML (``<ErrorResponse><Errors><Error>``) for every service,
where botocore's REST-XML parser finds no code and its JSON parser none either. opskit's
gateways must still say "denied" (exit 4), naming AWS's code, not "ClientError" (exit 5).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from opskit.aws.ecs import EcsReader
from opskit.aws.errors import error_code, translate
from opskit.aws.route53 import DnsReader
from opskit.errors import AuthError, AwsError, ExitCode
from sandbox.aws.shared_models import boto_session

MOTO_DENIAL = (
    b"<?xml version='1.0' encoding='UTF-8'?><ErrorResponse><Errors><Error>"
    b"<Code>AccessDenied</Code><Message>User: arn:aws:sts::222222222222:assumed-role/r/a "
    b"is not authorized to perform: route53:ListHostedZones</Message></Error></Errors>"
    b"<RequestId>7a62c49f</RequestId></ErrorResponse>"
)
ANSWERS: dict[str, tuple[int, dict[str, str], bytes]] = {
    "query-envelope": (403, {"Content-Type": "text/xml"}, MOTO_DENIAL),
    "header-only": (
        400,
        {"Content-Type": "application/json", "x-amzn-ErrorType": "AccessDeniedException:http://x/"},
        b"{}",
    ),
    "status-only": (403, {"Content-Type": "text/plain"}, b"Forbidden"),
    "server-error": (503, {"Content-Type": "text/plain"}, b"Service Unavailable"),
}


class Handler(BaseHTTPRequestHandler):
    answer: tuple[int, dict[str, str], bytes] = ANSWERS["query-envelope"]

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        status, headers, body = type(self).answer
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(service: str, endpoint: str) -> Any:
    from botocore.config import Config

    return boto_session().client(
        service,
        region_name="eu-west-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIAEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


@pytest.mark.parametrize("service", ["route53", "ecs"])
def test_a_query_xml_denial_is_denied_for_rest_xml_and_json_clients(
    endpoint: str, service: str
) -> None:
    Handler.answer = ANSWERS["query-envelope"]
    with pytest.raises(AuthError) as caught:
        if service == "route53":
            DnsReader(client("route53", endpoint), "dev").zones()
        else:
            EcsReader(client("ecs", endpoint), "dev").list_clusters()
    assert caught.value.exit_code == ExitCode.AUTH
    assert "denied: AccessDenied:" in str(caught.value)
    assert "is not authorized to perform: route53:ListHostedZones" in str(caught.value)
    assert "<" not in str(caught.value), "the message, not the XML"


def test_the_code_in_a_bare_error_type_header(endpoint: str) -> None:
    Handler.answer = ANSWERS["header-only"]
    with pytest.raises(Exception) as caught:
        client("ecs", endpoint).list_clusters()
    assert error_code(caught.value) == "AccessDeniedException"
    assert isinstance(translate(caught.value, "dev"), AuthError)


def test_a_bare_403_is_denied_and_a_503_is_aws(endpoint: str) -> None:
    Handler.answer = ANSWERS["status-only"]
    with pytest.raises(AuthError):
        DnsReader(client("route53", endpoint), "dev").zones()
    Handler.answer = ANSWERS["server-error"]
    with pytest.raises(AwsError):
        DnsReader(client("route53", endpoint), "dev").zones()
