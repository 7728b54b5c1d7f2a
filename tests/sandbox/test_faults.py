"""Fault rehearsal over HTTP: throttles boto3 retries through, errors, latency, scoping,
clearing, the control path's token, and `opskit sandbox faults` as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from opskit.errors import UsageError
from sandbox.state import SandboxInfo

OPSKIT = str(Path(sys.executable).parent / "opskit")


def failure(call: Any) -> tuple[str, int, int]:
    """(error code, HTTP status, retries boto3 made) of a call expected to fail."""
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    meta = response["ResponseMetadata"]
    return response["Error"]["Code"], meta["HTTPStatusCode"], meta.get("RetryAttempts", 0)


def test_a_throttled_call_is_retried_by_boto3_and_succeeds(alice: Any, sandbox_faults: Any) -> None:
    sandbox_faults.set(service="ecs", operation="ListClusters", kind="throttle", count=2)
    answer = alice.client("ecs", env="dev", retries=3).list_clusters()
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [r["fired"] for r in sandbox_faults.list()] == [2]


@pytest.mark.parametrize(
    ("service", "operation", "call", "expected"),
    [
        ("ecs", "ListClusters", lambda c: c.list_clusters(), ("ThrottlingException", 400)),
        (
            "elbv2",
            "DescribeLoadBalancers",
            lambda c: c.describe_load_balancers(),
            ("Throttling", 400),
        ),
        ("route53", "ListHostedZones", lambda c: c.list_hosted_zones(), ("Throttling", 400)),
        ("ec2", "DescribeVpcs", lambda c: c.describe_vpcs(), ("RequestLimitExceeded", 503)),
        ("cloudwatch", "ListMetrics", lambda c: c.list_metrics(), ("ThrottlingException", 400)),
    ],
)
def test_throttling_uses_each_protocols_real_error(
    alice: Any,
    sandbox_faults: Any,
    service: str,
    operation: str,
    call: Any,
    expected: tuple[str, int],
) -> None:
    sandbox_faults.set(service=service, operation=operation, kind="throttle")
    code, status, retries = failure(lambda: call(alice.client(service, env="dev", retries=1)))
    assert (code, status) == expected
    assert retries == 1  # boto3 recognised it as throttling and retried


def test_error_faults_answer_5xx_which_boto3_retries(alice: Any, sandbox_faults: Any) -> None:
    sandbox_faults.set(service="ecs", operation="DescribeClusters", kind="error")
    code, status, retries = failure(
        lambda: alice.client("ecs", env="dev", retries=2).describe_clusters(clusters=["api"])
    )
    assert (code, status, retries) == ("InternalFailure", 500, 2)


def test_faults_are_scoped_by_account_operation_and_rate(
    sandbox: SandboxInfo, alice: Any, sandbox_faults: Any
) -> None:
    sandbox_faults.set(
        service="ecs", operation="*", kind="throttle", account=sandbox.accounts["stage"]
    )
    sandbox_faults.set(service="elbv2", operation="DescribeTargetGroups", kind="error", rate=0.0)
    assert alice.client("ecs", env="dev", retries=0).list_clusters()["clusterArns"]
    assert failure(lambda: alice.client("ecs", env="stage", retries=0).list_clusters())[0] == (
        "ThrottlingException"
    )
    assert alice.client("elbv2", env="dev", retries=0).describe_target_groups()
    assert alice.client("elbv2", env="stage", retries=0).describe_load_balancers()


def test_latency_lets_calls_through_and_counts_them(alice: Any, sandbox_faults: Any) -> None:
    rule = sandbox_faults.set(service="*", operation="ListServices", kind="latency", delay_ms=30)
    ecs = alice.client("ecs", env="dev", retries=0)
    for _ in range(3):
        assert "serviceArns" in ecs.list_services(cluster="api")
    assert {r["id"]: r["fired"] for r in sandbox_faults.list()} == {rule["id"]: 3}


def test_clear_removes_one_rule_or_all(alice: Any, sandbox_faults: Any) -> None:
    first = sandbox_faults.set(service="ecs", operation="ListClusters", kind="throttle")
    second = sandbox_faults.set(service="route53", kind="error")
    assert sandbox_faults.clear(first["id"]) == 1
    assert [r["id"] for r in sandbox_faults.list()] == [second["id"]]
    assert alice.client("ecs", env="dev", retries=0).list_clusters()
    assert sandbox_faults.clear() == 1 and sandbox_faults.list() == []
    assert "HostedZones" in alice.client("route53", env="dev", retries=0).list_hosted_zones()


@pytest.mark.parametrize(
    "rule",
    [
        {"service": "no-such-service"},
        {"service": "ecs", "kind": "explode"},
        {"service": "ecs", "rate": 1.5},
        {"service": "ecs", "account": "dev"},
    ],
)
def test_bad_rules_are_refused_with_the_reason(sandbox_faults: Any, rule: dict[str, Any]) -> None:
    with pytest.raises(UsageError, match="sandbox refused the fault: "):
        sandbox_faults.set(**rule)
    assert sandbox_faults.list() == []


def test_the_control_path_needs_the_instance_token(
    sandbox: SandboxInfo, sandbox_faults: Any
) -> None:
    request = urllib.request.Request(
        f"{sandbox.endpoint_url}/_opskit/faults",
        data=json.dumps({"service": "ecs"}).encode(),
        method="POST",
        headers={"X-Opskit-Token": "guessed"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request)
    assert refused.value.code == 403
    assert sandbox_faults.list() == []


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPSKIT, "sandbox", "faults", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_cli_sets_lists_and_clears_faults(
    sandbox: SandboxInfo, alice: Any, sandbox_env: dict[str, str], sandbox_faults: Any
) -> None:
    made = run_cli(
        "set", "-s", "ecs", "-p", "list_services", "-k", "throttle", "--account", "prod",
        "--count", "1", "-o", "json", env=sandbox_env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    rule = json.loads(made.stdout)
    assert (rule["operation"], rule["account"]) == ("ListServices", sandbox.accounts["prod"])

    code, _, _ = failure(
        lambda: alice.client("ecs", env="prod", retries=0).list_services(cluster="api")
    )
    assert code == "ThrottlingException"
    listed = run_cli("list", "-o", "json", env=sandbox_env)
    assert [(r["id"], r["fired"]) for r in json.loads(listed.stdout)] == [(rule["id"], 1)]

    cleared = run_cli("clear", env=sandbox_env)
    assert cleared.returncode == 0 and "1 fault rule(s) removed" in cleared.stderr
    assert json.loads(run_cli("list", "-o", "json", env=sandbox_env).stdout) == []

    refused = run_cli("set", "-s", "ecs", "--account", "qa", env=sandbox_env)
    assert refused.returncode == 2 and "unknown environment 'qa'" in refused.stderr
