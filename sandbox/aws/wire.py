"""AWS requests and answers on the wire, for the rules layer in front of moto.

Identifies a signed request (service, operation, protocol, caller account) from its SigV4
``Authorization`` header and body; parses its input with moto's request parsers; serializes
answers and errors with moto's serializers for the caller's protocol; forwards a (changed)
request to moto in-process and parses moto's answer with botocore's parsers; and checks a
caller's signature and identity policies exactly as moto's IAM enforcement does.
"""

from __future__ import annotations

import io
import json
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sandbox.aws import moto_patches
from sandbox.aws.overrides import AwsApiError

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Answer = tuple[int, list[tuple[str, str]], bytes]

# SigV4 signing names whose boto3 service name differs.
_SIGNING_TO_SERVICE = {"monitoring": "cloudwatch", "states": "stepfunctions", "email": "ses"}
_ELB_V2_VERSION = "2015-12-01"
# The auth errors moto renders as Query XML, as JSON-protocol services name them.
_JSON_AUTH_CODES = {
    "AccessDenied": "AccessDeniedException",
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
}


class MotoAnswered(Exception):
    """moto answered a forwarded request with an error: pass its answer to the client."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(f"moto answered {answer[0]}")
        self.answer = answer


@dataclass
class Signed:
    """What the Authorization header of a SigV4 request says."""

    access_key: str
    region: str
    signing_name: str


def signed(environ: Mapping[str, Any]) -> Signed | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if not auth.startswith("AWS4-HMAC-SHA256"):
        return None
    try:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
        access_key, _, region, signing_name, _ = scope.split("/")
    except (IndexError, ValueError):
        return None
    return Signed(access_key, region, signing_name.lower())


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, read once and put back so moto can read it again."""
    cached = environ.get("opskit.body")
    if cached is not None:
        return bytes(cached)
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body: bytes
    if length > 0:
        body = environ["wsgi.input"].read(length)
    elif environ.get("wsgi.input_terminated"):  # chunked: werkzeug de-chunks to the end
        body = environ["wsgi.input"].read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["opskit.body"] = body
    return body


def service_name(signing_name: str, environ: dict[str, Any]) -> str:
    """The boto3 service name of a request signed for ``signing_name``."""
    if signing_name == "elasticloadbalancing":
        form = parse_qs(read_body(environ).decode("utf-8", "replace"))
        version = form.get("Version", [""])[0] or _query_value(environ, "Version")
        return "elbv2" if version == _ELB_V2_VERSION else "elb"
    return _SIGNING_TO_SERVICE.get(signing_name, signing_name)


def _query_value(environ: Mapping[str, Any], key: str) -> str:
    query: str = environ.get("QUERY_STRING", "")
    return parse_qs(query).get(key, [""])[0]


@cache
def service_model(service: str) -> Any:
    from moto.core.utils import get_service_model

    return get_service_model(service)


def protocol_of(service: str, environ: Mapping[str, Any]) -> str:
    from moto.core.request import determine_request_protocol

    return str(determine_request_protocol(service_model(service), environ.get("CONTENT_TYPE")))


def operation_name(service: str, protocol: str, environ: dict[str, Any]) -> str | None:
    """The API operation a request calls, or None if it matches none."""
    if protocol == "json":
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        return target.rsplit(".", 1)[-1] or None
    if protocol in ("query", "ec2"):
        form = parse_qs(read_body(environ).decode("utf-8", "replace"))
        return form.get("Action", [""])[0] or _query_value(environ, "Action") or None
    from moto.core.request import Request
    from moto.core.routing import get_service_router
    from werkzeug.exceptions import NotFound

    try:  # REST routes by method, path, query and headers: the body stays unread
        operation, _ = get_service_router(service).match(Request(environ))
    except (NotFound, NotImplementedError):
        return None
    return str(operation.name)


def parse_params(service: str, operation: str, protocol: str, environ: dict[str, Any]) -> Any:
    """The request's input, shaped as boto3 takes it (moto's request parsers)."""
    from moto.core.parse import PROTOCOL_PARSERS
    from moto.core.request import Request
    from moto.core.routing import get_service_router

    body = read_body(environ)
    request = Request(environ)
    url_params: dict[str, Any] = {}
    if protocol.startswith("rest"):
        _, url_params = get_service_router(service).match(request)
    operation_model = service_model(service).operation_model(operation)
    parsed = PROTOCOL_PARSERS[protocol](operation_model).parse(
        {
            "method": request.method,
            "values": request.values,
            "headers": request.headers,
            "body": body,
            "url_path": request.path,
            "url_params": url_params,
        }
    )
    environ["wsgi.input"] = io.BytesIO(body)
    return parsed


class _Error(Exception):
    """An error moto's serializers can render (its module is not moto's, on purpose)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def serialize(service: str, operation: str, protocol: str, result: Any) -> Answer:
    """Serialize an output dict, or an ``AwsApiError``, as the service would answer it."""
    from moto.core.serialize import get_serializer_class

    operation_model = service_model(service).operation_model(operation)
    serializer = get_serializer_class(service, protocol)(operation_model)
    status: int | None = None
    if isinstance(result, AwsApiError):
        status = result.status
        result = _Error(result.code, result.message)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # moto warns about error codes not in the model
        out = serializer.serialize(result)
    body = out["body"]
    payload = body.encode() if isinstance(body, str) else bytes(body or b"")
    headers = [(k, str(v)) for k, v in out["headers"].items()]
    headers.append(("Content-Length", str(len(payload))))
    return status or int(out["status_code"]), headers, payload


def call_app(app: WsgiApp, environ: dict[str, Any]) -> Answer:
    """Run a WSGI app in-process and collect its whole answer."""
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured["status"], captured["headers"] = status, headers
        return lambda _data: None

    chunks = app(environ, start_response)
    try:
        body = b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    return int(captured["status"].split(" ", 1)[0]), list(captured["headers"]), body


def forward(
    app: WsgiApp,
    environ: dict[str, Any],
    service: str,
    operation: str,
    protocol: str,
    params: Mapping[str, Any],
) -> dict[str, Any]:
    """Send ``operation(**params)`` to moto as the original caller; moto's parsed output.

    Raises ``MotoAnswered`` when moto answers with an error.
    """
    from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
    from botocore.parsers import create_parser
    from botocore.serialize import create_serializer

    operation_model = service_model(service).operation_model(operation)
    request_dict = create_serializer(protocol, include_validation=False).serialize_to_request(
        dict(params), operation_model
    )
    prepare_request_dict(request_dict, endpoint_url=f"http://{environ.get('HTTP_HOST', 'x')}")
    prepared = create_request_object(request_dict).prepare()
    body = prepared.body or b""
    body = body.encode() if isinstance(body, str) else bytes(body)
    url = urlsplit(prepared.url)
    sub = dict(environ)
    sub.update(
        {
            "REQUEST_METHOD": prepared.method,
            "PATH_INFO": unquote(url.path or "/"),
            "RAW_URI": url.path + (f"?{url.query}" if url.query else ""),
            "QUERY_STRING": url.query,
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            moto_patches.PREAUTHORIZED: True,
        }
    )
    sub.pop("opskit.body", None)
    for name, value in prepared.headers.items():
        if name.lower() == "content-type":
            sub["CONTENT_TYPE"] = value
        elif name.lower() == "x-amz-target":
            sub["HTTP_X_AMZ_TARGET"] = value
    status, headers, answer = call_app(app, sub)
    if status >= 300:
        raise MotoAnswered((status, headers, answer))
    parsed = create_parser(protocol).parse(
        {"status_code": status, "headers": HeadersDict(headers), "body": answer},
        operation_model.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    return dict(parsed)


def account_for(access_key: str, environ: Mapping[str, Any]) -> str:
    """The account a request acts in, decided as moto decides it."""
    header = environ.get("HTTP_X_MOTO_ACCOUNT_ID")
    if header:
        return str(header)
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))


def caller_arn(account_id: str, access_key: str, environ: Mapping[str, Any]) -> str:
    """The ARN of the user or assumed role that owns ``access_key``."""
    from moto.iam.access_control import CreateAccessKeyFailure, create_access_key
    from werkzeug.datastructures import EnvironHeaders

    try:
        key = create_access_key(
            account_id=account_id,
            partition="aws",
            access_key_id=access_key,
            headers=EnvironHeaders(environ),  # type: ignore[arg-type]
        )
    except CreateAccessKeyFailure:
        return f"arn:aws:iam::{account_id}:root"
    return str(key.arn)


def authorize(environ: dict[str, Any], account_id: str, operation: str, protocol: str) -> None:
    """Check signature and identity policies as moto would; raise AwsApiError if denied."""
    if not moto_patches.iam_enforced():
        return
    from moto.core.request import Request
    from moto.iam.access_control import IAMRequest
    from werkzeug.exceptions import HTTPException

    body = read_body(environ)
    request = Request(environ)
    path = request.raw_path
    if request.query_string:
        path += "?" + request.query_string.decode()
    try:
        iam_request = IAMRequest(
            account_id=account_id,
            method=request.method,
            path=path,
            data={},
            body=body,
            headers=request.headers,  # type: ignore[arg-type]  # case-insensitive, as moto's own
            action=operation,
        )
        iam_request.check_signature()
        iam_request.check_action_permitted("*")
    except HTTPException as error:
        code = str(getattr(error, "error_type", "AccessDenied"))
        raise AwsApiError(
            auth_code(code, protocol), getattr(error, "message", str(error)), error.code or 403
        ) from None
    finally:
        environ["wsgi.input"] = io.BytesIO(body)


def auth_code(code: str, protocol: str) -> str:
    """An auth error's code as a service of ``protocol`` names it."""
    return _JSON_AUTH_CODES.get(code, code) if protocol in ("json", "rest-json") else code


def needs_reshape(service: str, protocol: str) -> bool:
    """Whether moto's auth errors for this service are in the wrong format (not Query/S3)."""
    return protocol not in ("query", "ec2") and service != "s3"


def reshape_auth_error(
    service: str, operation: str | None, protocol: str, answer: Answer
) -> Answer:
    """moto renders auth errors as Query XML for every protocol; render them as AWS does."""
    status, _, body = answer
    if status != 403 or not needs_reshape(service, protocol) or b"<Errors><Error>" not in body:
        return answer
    import xml.etree.ElementTree as ET

    try:
        error = ET.fromstring(body).find("./Errors/Error")
    except ET.ParseError:
        return answer
    if error is None:
        return answer
    code = auth_code(error.findtext("Code") or "AccessDenied", protocol)
    message = error.findtext("Message") or ""
    if operation is None:
        return generic_error(protocol, AwsApiError(code, message, status))
    return serialize(service, operation, protocol, AwsApiError(code, message, status))


def generic_error(protocol: str, error: AwsApiError) -> Answer:
    """An error for a request whose operation is unknown, in the protocol's shape, as AWS
    answers it: Query and REST-XML ``<ErrorResponse><Error><Code>``, EC2
    ``<Response><Errors><Error>``, JSON ``__type`` with rest-json's ``x-amzn-ErrorType``."""
    from xml.sax.saxutils import escape

    code, message = escape(error.code), escape(error.message)
    if protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message>"
            "</Error></Errors><RequestID>sandbox</RequestID></Response>"
        )
        return error.status, [("Content-Type", "text/xml")], body.encode()
    if protocol in ("query", "rest-xml"):
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>sandbox</RequestId></ErrorResponse>"
        )
        return error.status, [("Content-Type", "text/xml")], body.encode()
    payload = json.dumps({"__type": error.code, "message": error.message}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", error.code)]
    return error.status, headers, payload
