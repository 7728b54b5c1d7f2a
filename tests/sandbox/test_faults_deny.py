"""The ``deny`` fault answers as AWS answers a caller whose policy lacks the action, in each
protocol's own shape on the wire (checked on the raw body, before botocore parses it)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from botocore.exceptions import ClientError

CASES = [
    # service, operation rule, call, protocol shape, AWS's code
    ("route53", "List*", lambda c: c.list_hosted_zones(), "xml", "AccessDenied"),
    ("elbv2", "Describe*", lambda c: c.describe_load_balancers(), "xml", "AccessDenied"),
    ("ecs", "ListClusters", lambda c: c.list_clusters(), "json", "AccessDeniedException"),
    ("logs", "DescribeLogGroups", lambda c: c.describe_log_groups(), "json",
     "AccessDeniedException"),
    ("ec2", "DescribeVpcs", lambda c: c.describe_vpcs(), "ec2", "UnauthorizedOperation"),
]  # fmt: skip


def raw_answer(client: Any) -> dict[str, Any]:
    """Capture the next raw HTTP answer of ``client``."""
    seen: dict[str, Any] = {}

    def capture(response_dict: dict[str, Any], **_: Any) -> None:
        seen.update(response_dict)

    client.meta.events.register("before-parse", capture)
    return seen


def xml_code(body: bytes) -> str:
    root = ET.fromstring(body)
    local = root.tag.rsplit("}", 1)[-1]
    assert local == "ErrorResponse", body  # Query and REST-XML: <ErrorResponse><Error>
    error = next(child for child in root if child.tag.rsplit("}", 1)[-1] == "Error")
    return next(c.text or "" for c in error if c.tag.rsplit("}", 1)[-1] == "Code")


@pytest.mark.parametrize(
    ("service", "operation", "call", "shape", "code"), CASES, ids=[c[0] for c in CASES]
)
def test_deny_answers_in_the_protocols_shape(
    alice: Any, sandbox_faults: Any, service: str, operation: str, call: Any, shape: str,
    code: str,
) -> None:  # fmt: skip
    sandbox_faults.set(service=service, operation=operation, kind="deny")
    client = alice.client(service, env="dev", retries=0)
    seen = raw_answer(client)
    with pytest.raises(ClientError) as caught:
        call(client)
    assert caught.value.response["Error"]["Code"] == code
    assert seen["status_code"] == 403
    body = seen["body"]
    if shape == "xml":
        assert xml_code(body) == code
    elif shape == "ec2":
        text = body.decode()
        assert "<Errors><Error><Code>" + code + "</Code>" in text.replace(" ", "")
        assert ET.fromstring(body).tag.rsplit("}", 1)[-1] == "Response"
    else:
        assert json.loads(body)["__type"].rsplit("#", 1)[-1] == code
    message = caught.value.response["Error"]["Message"]  # IAM's words, naming the caller
    assert message.startswith("User: arn:aws:sts::") and ":assumed-role/opskit-read/" in message
    assert " is not authorized to perform: " in message and operation.rstrip("*") in message


def test_deny_matches_an_operation_glob_only(alice: Any, sandbox_faults: Any) -> None:
    sandbox_faults.set(service="route53", operation="List*", kind="deny")
    route53 = alice.client("route53", env="dev", retries=0)
    with pytest.raises(ClientError):
        route53.list_hosted_zones()
    zone = alice.client("route53", env="dev", retries=0)
    with pytest.raises(ClientError) as other:  # GetHostedZone is not List*: moto answers
        zone.get_hosted_zone(Id="ZNOSUCHZONE")
    assert other.value.response["Error"]["Code"] == "NoSuchHostedZone"
    assert alice.client("ecs", env="dev", retries=0).list_clusters()["clusterArns"]
