"""Failure isolation per API family, over HTTP: a denied Route53 (or metrics, or ECS in one
environment) marks only what it feeds unknown, and the exit code follows what was asked for.

Expected values come from boto3 as alice's read role (AWS's own answers), never from opskit.
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cli_inprocess import opskit_inprocess

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"
ENVS = ("dev", "stage", "prod")
NO_DNS = {"service": "route53", "operation": "List*", "kind": "deny"}


def opskit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(env, *args)


def warnings(done: subprocess.CompletedProcess[str]) -> list[str]:
    lines = done.stderr.strip().splitlines()
    assert "Traceback" not in done.stderr
    return [line for line in lines if line.startswith("opskit: warning: ")]


def regions(env: str) -> list[str]:
    """The environment's regions as the repository's environments.toml lists them."""
    return list(tomllib.loads(CONFIG.read_text())["environments"][env]["regions"])


def clusters_of(alice: Any, env: str) -> set[str]:
    found = set()
    for region in regions(env):
        arns = alice.client("ecs", env=env, region=region).list_clusters()["clusterArns"]
        found |= {arn.rsplit("/", 1)[-1] for arn in arns}
    return found


def running_tasks(alice: Any, env: str) -> set[str]:
    found = set()
    for region in regions(env):
        ecs = alice.client("ecs", env=env, region=region)
        for cluster in ecs.list_clusters()["clusterArns"]:
            for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster):
                found |= {arn.rsplit("/", 1)[-1] for arn in page["taskArns"]}
    return found


@pytest.mark.slow
def test_route53_denied_leaves_clusters_and_tasks_complete(
    sandbox_env: dict[str, str], sandbox_faults: Any, alice: Any
) -> None:
    sandbox_faults.set(**NO_DNS)
    with pytest.raises(ClientError) as denied:
        alice.client("route53", env="dev", retries=0).list_hosted_zones()
    assert denied.value.response["Error"]["Code"] == "AccessDenied"

    done = opskit(sandbox_env, "ls", "clusters", "-o", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    for env in ENVS:
        assert {r["cluster"] for r in rows if r["env"] == env} == clusters_of(alice, env)
    lines = warnings(done)
    assert len(lines) == len(ENVS), done.stderr  # the reason once per environment
    for env, line in zip(ENVS, lines, strict=True):
        assert line.startswith(f"opskit: warning: {env}: route53 unknown: ")
        assert "AccessDenied" in line and "ListHostedZones" in line

    before = {env: running_tasks(alice, env) for env in ENVS}
    tasks = opskit(sandbox_env, "ls", "tasks", "-o", "json")
    after = {env: running_tasks(alice, env) for env in ENVS}
    assert tasks.returncode == 0, tasks.stderr
    listed = json.loads(tasks.stdout)
    for env in ENVS:
        ids = {r["task"] for r in listed if r["env"] == env}
        steady = before[env] & after[env]  # running throughout the listing
        assert steady and steady <= ids, (env, steady - ids)
    assert len(warnings(tasks)) == len(ENVS)


def test_route53_denied_marks_dns_unknown_not_empty(
    sandbox_env: dict[str, str], sandbox_faults: Any
) -> None:
    sandbox_faults.set(**NO_DNS)
    services = opskit(sandbox_env, "ls", "services", "--env", "prod", "-o", "json")
    assert services.returncode == 0, services.stderr
    rows = json.loads(services.stdout)
    assert rows and all(r["dns"] == "unknown" for r in rows)
    assert all(r["cpu"] != "unknown" for r in rows), "metrics were readable"

    dns = opskit(sandbox_env, "ls", "dns", "-o", "json")
    assert dns.returncode == 4, dns.stderr  # asked for DNS, denied everywhere: denied's own
    assert json.loads(dns.stdout) == []

    show = opskit(sandbox_env, "show", "api", "--env", "dev", "-o", "json")
    assert show.returncode == 0, show.stderr
    detail = json.loads(show.stdout)
    assert detail["name"] == "api" and detail["tasks"]
    assert detail["target_groups"] and detail["target_groups"][0]["targets"] is not None
    assert set(detail["unknown"]) == {"route53"}
    assert detail["unknown"]["route53"]["exit_code"] == 4
    assert len(warnings(show)) == 1

    drift = opskit(sandbox_env, "drift", "stage", "prod", "-o", "json")
    # drift reads ECS and ELB only: complete, so 9 (differences found), not 6 (partial)
    assert drift.returncode == 9, drift.stderr
    compared = json.loads(drift.stdout)
    assert compared["errors"] == {} and compared["services"] > 0


def test_dns_denied_in_one_environment_is_partial(
    sandbox: Any, sandbox_env: dict[str, str], sandbox_faults: Any, alice: Any
) -> None:
    sandbox_faults.set(**NO_DNS, account=sandbox.accounts["prod"])
    done = opskit(sandbox_env, "ls", "dns", "-o", "json")
    assert done.returncode == 6, done.stderr
    rows = json.loads(done.stdout)
    assert {r["env"] for r in rows} == {"dev", "stage"}
    zones = alice.client("route53", env="dev").list_hosted_zones()["HostedZones"]
    assert {r["zone"].rstrip(".") for r in rows if r["env"] == "dev"} <= {
        z["Name"].rstrip(".") for z in zones
    }
    assert done.stderr.strip().splitlines()[-1].startswith("opskit: partial result: prod: ")


def test_metrics_denied_marks_utilization_unknown(
    sandbox_env: dict[str, str], sandbox_faults: Any
) -> None:
    sandbox_faults.set(service="cloudwatch", operation="GetMetricData", kind="deny")
    done = opskit(sandbox_env, "ls", "clusters", "--env", "dev", "-o", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert rows and all(r["cpu"] == "unknown" and r["memory"] == "unknown" for r in rows)
    assert all(isinstance(r["services"], int) for r in rows)
    (line,) = warnings(done)
    assert line.startswith("opskit: warning: dev: metrics unknown: ")


def test_ecs_denied_everywhere_exits_denied_and_in_one_env_partial(
    sandbox: Any, sandbox_env: dict[str, str], sandbox_faults: Any
) -> None:
    rule = sandbox_faults.set(service="ecs", operation="ListClusters", kind="deny")
    everywhere = opskit(sandbox_env, "ls", "services", "-o", "json")
    assert everywhere.returncode == 4, everywhere.stderr
    assert "AccessDeniedException" in everywhere.stderr
    sandbox_faults.clear(rule["id"])
    sandbox_faults.set(
        service="ecs", operation="ListClusters", kind="deny", account=sandbox.accounts["stage"]
    )
    one = opskit(sandbox_env, "ls", "services", "-o", "json")
    assert one.returncode == 6, one.stderr
    assert {r["env"] for r in json.loads(one.stdout)} == {"dev", "prod"}


def test_elb_denied_leaves_services_and_makes_targets_partial_or_denied(
    sandbox: Any, sandbox_env: dict[str, str], sandbox_faults: Any
) -> None:
    rule = sandbox_faults.set(
        service="elbv2", operation="DescribeTargetHealth", kind="deny",
        account=sandbox.accounts["stage"],
    )  # fmt: skip
    some = opskit(sandbox_env, "ls", "targets", "-o", "json")
    assert some.returncode == 6, some.stderr
    assert {r["env"] for r in json.loads(some.stdout)} == {"dev", "prod"}
    assert "partial result: stage: " in some.stderr and "DescribeTargetHealth" in some.stderr
    sandbox_faults.clear(rule["id"])

    sandbox_faults.set(service="elbv2", operation="Describe*", kind="deny")
    services = opskit(sandbox_env, "ls", "services", "--env", "dev", "-o", "json")
    assert services.returncode == 0, services.stderr
    assert json.loads(services.stdout), "services are ECS's"
    (line,) = warnings(services)
    assert line.startswith("opskit: warning: dev: elbv2 unknown: ") and "AccessDenied" in line
    targets = opskit(sandbox_env, "ls", "targets", "-o", "json")
    assert targets.returncode == 4, targets.stderr
