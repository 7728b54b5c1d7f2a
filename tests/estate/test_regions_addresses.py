"""Every region, any address, the catalog optional: the CLI against the sandbox, over HTTP.

The sandbox's stage spans a second region (an ``edge`` cluster no [clusters] section
names, behind its own ALB), dev has ``sweeper`` in two clusters and ``reports`` outside
the catalog with an Application Auto Scaling target. Expected values come from boto3
reading the sandbox as alice, never from opskit.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess

from sandbox.aws.shared_models import boto_session
from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
SECOND = "us-east-1"  # stage's second region in the repository's environments.toml


def _opskit(
    state: Path, *args: str, config: Path = ROOT / "environments.toml"
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(state), "OPSKIT_CONFIG": str(config)}
    return opskit_inprocess(env, *args)


def _json(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


class Aws:
    """boto3 clients as alice in an environment and region (the independent reading)."""

    def __init__(self, sandbox: SandboxInfo, alice: Any) -> None:
        self.sandbox, self.alice = sandbox, alice

    def client(
        self, service: str, env: str, region: str | None = None, access: str = "read"
    ) -> Any:
        creds = self.alice.credentials(env, access)
        return boto_session().client(
            service,
            region_name=region or self.sandbox.region,
            endpoint_url=self.sandbox.endpoint_url,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )

    def service(self, env: str, cluster: str, name: str, region: str | None = None) -> Any:
        ecs = self.client("ecs", env, region)
        return ecs.describe_services(cluster=cluster, services=[name])["services"][0]

    def task_ids(self, env: str, region: str | None = None) -> dict[str, str]:
        """Every running task id of ``env`` in ``region`` -> its cluster name."""
        ecs = self.client("ecs", env, region)
        out = {}
        for cluster in ecs.list_clusters()["clusterArns"]:
            for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster):
                for arn in page["taskArns"]:
                    out[arn.rsplit("/", 1)[-1]] = cluster.rsplit("/", 1)[-1]
        return out


@pytest.fixture
def aws(sandbox: SandboxInfo, alice: Any) -> Aws:
    return Aws(sandbox, alice)


@pytest.fixture
def state(sandbox: SandboxInfo, opskit_state_dir: Path) -> Path:
    return opskit_state_dir


@pytest.fixture
def accounts_only(tmp_path: Path) -> Iterator[Path]:
    """The repository's config with no [clusters], no [services] and nothing that names
    them ([traffic], [datadog] monitors): an estate opskit only knows the accounts of. Its
    [audit] stays: the changes made with it are shipped to the team journal like every
    other record in the session's journal (an unshipped one fails a later `audit verify`)."""
    text = (ROOT / "environments.toml").read_text()
    kept, skipping = [], False
    for line in text.splitlines():
        header = re.match(r"^\[([a-z_]+)[.\]]", line)
        if header:
            skipping = header.group(1) in {"clusters", "services", "traffic", "datadog"}
        if not skipping:
            kept.append(line)
    path = tmp_path / "environments.toml"
    path.write_text("\n".join(kept) + "\n")
    yield path


# -- every region ------------------------------------------------------------------------


def test_ls_targets_covers_every_region(state: Path, aws: Aws) -> None:
    rows = _json(_opskit(state, "ls", "targets", "--env", "stage", "-o", "json"))
    listed = {(r["target_group"], r["target"]) for r in rows}
    expected = set()
    for region in ("eu-west-1", SECOND):
        elb = aws.client("elbv2", "stage", region)
        for group in elb.describe_target_groups()["TargetGroups"]:
            health = elb.describe_target_health(TargetGroupArn=group["TargetGroupArn"])
            for target in health["TargetHealthDescriptions"]:
                expected.add((group["TargetGroupName"], target["Target"]["Id"]))
    edge = {pair for pair in expected if pair[0] == "stage-edge-proxy"}  # the second region's
    assert len(edge) == 2
    assert edge <= listed
    # the crash-looping service's targets come and go between the two reads: compare groups
    assert {name for name, _ in listed} == {name for name, _ in expected}


def test_show_finds_a_service_in_the_second_region(state: Path, aws: Aws) -> None:
    shown = _json(_opskit(state, "show", "edge-proxy", "--env", "stage", "-o", "json"))
    live = aws.service("stage", "edge", "edge-proxy", SECOND)
    assert shown["arn"] == live["serviceArn"]
    assert f":{SECOND}:" in shown["arn"]
    ecs = aws.client("ecs", "stage", SECOND)
    running = ecs.list_tasks(cluster="edge", serviceName="edge-proxy")["taskArns"]
    shown_running = {t["arn"] for t in shown["tasks"] if t["last_status"] == "RUNNING"}
    assert shown_running == set(running)
    assert [g["name"] for g in shown["target_groups"]] == ["stage-edge-proxy"]
    assert all(t["state"] == "healthy" for g in shown["target_groups"] for t in g["targets"])


def test_a_second_region_service_has_its_dns_name_in_the_overview(state: Path, aws: Aws) -> None:
    rows = _json(_opskit(state, "ls", "services", "--env", "stage", "-o", "json"))
    balancers = aws.client("elbv2", "stage", SECOND).describe_load_balancers()["LoadBalancers"]
    hosts = {lb["DNSName"].lower() for lb in balancers}
    route53 = aws.client("route53", "stage")
    names = set()
    for zone in route53.list_hosted_zones()["HostedZones"]:
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])
        for record in records["ResourceRecordSets"]:
            alias = record.get("AliasTarget", {}).get("DNSName", "").lower().rstrip(".")
            if alias.removeprefix("dualstack.") in hosts:
                names.add(record["Name"].rstrip("."))
    (edge,) = [r for r in rows if r["service"] == "edge-proxy"]
    assert names and set(edge["dns"]) == names


def test_restart_a_service_in_the_second_region(state: Path, aws: Aws) -> None:
    before = aws.service("stage", "edge", "edge-proxy", SECOND)["deployments"]
    done = _opskit(state, "restart", f"{SECOND}:edge/edge-proxy", "--env", "stage", "-o", "json")
    result = _json(done)["result"]
    assert result["outcome"] == "applied", result
    after = aws.service("stage", "edge", "edge-proxy", SECOND)["deployments"]
    assert {d["id"] for d in after}.isdisjoint({d["id"] for d in before})
    shown = _json(_opskit(state, "audit", "show", _json(done)["plan"]["id"], "-o", "json"))
    assert f"stage/ecs/service/{SECOND}:edge/edge-proxy" in json.dumps(shown["records"])


def test_a_region_the_environment_does_not_run_in_is_a_usage_error(state: Path) -> None:
    done = _opskit(state, "show", "ap-south-1:edge/edge-proxy", "--env", "stage")
    assert done.returncode == 2
    assert done.stderr.startswith("opskit: ") and "ap-south-1" in done.stderr
    assert "Traceback" not in done.stderr


# -- one name, two clusters --------------------------------------------------------------


def test_an_ambiguous_name_lists_the_candidates(state: Path, aws: Aws) -> None:
    ecs = aws.client("ecs", "dev")
    holders = sorted(
        arn.rsplit("/", 1)[-1]
        for arn in ecs.list_clusters()["clusterArns"]
        if ecs.describe_services(cluster=arn, services=["sweeper"])["services"]
    )
    assert len(holders) == 2
    done = _opskit(state, "show", "sweeper", "--env", "dev")
    assert done.returncode == 2, done.stdout
    assert len(done.stderr.strip().splitlines()) == 1
    for cluster in holders:
        assert f"{cluster}/sweeper" in done.stderr
    for cluster in holders:
        shown = _json(_opskit(state, "show", f"{cluster}/sweeper", "--env", "dev", "-o", "json"))
        assert shown["arn"] == aws.service("dev", cluster, "sweeper")["serviceArn"]
        assert shown["cluster"] == cluster
    changed = _opskit(state, "restart", "sweeper", "--env", "dev", "--dry-run")
    assert changed.returncode == 2 and "ambiguous" in changed.stderr


# -- the catalog is optional: scale bounds ------------------------------------------------


def test_scale_outside_the_catalog_keeps_within_auto_scaling_bounds(state: Path, aws: Aws) -> None:
    aas = aws.client("application-autoscaling", "dev")
    (target,) = aas.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=["service/app/reports"]
    )["ScalableTargets"]
    low, high = target["MinCapacity"], target["MaxCapacity"]
    over = _opskit(state, "scale", "reports", str(high + 1), "--env", "dev", "--dry-run")
    assert over.returncode == 2
    assert f"{low}..{high}" in over.stderr and "Application Auto Scaling" in over.stderr
    plan = _json(_opskit(state, "scale", "reports", str(high), "--env", "dev", "--dry-run",
                         "-o", "json"))["plan"]  # fmt: skip
    assert plan["diffs"][0]["after"] == high
    assert any("Application Auto Scaling" in note for note in plan["notes"])


def test_scale_with_no_bounds_anywhere_works_and_says_so(state: Path, aws: Aws) -> None:
    aas = aws.client("application-autoscaling", "dev")
    targets = aas.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=["service/api/sweeper"]
    )["ScalableTargets"]
    assert targets == []
    before = aws.service("dev", "api", "sweeper")["desiredCount"]
    done = _json(_opskit(state, "scale", "api/sweeper", str(before + 1), "--env", "dev",
                         "-o", "json"))  # fmt: skip
    assert done["result"]["outcome"] == "applied"
    assert any("no bounds configured" in note for note in done["plan"]["notes"])
    assert aws.service("dev", "api", "sweeper")["desiredCount"] == before + 1
    back = _json(_opskit(state, "scale", "api/sweeper", str(before), "--env", "dev", "-o", "json"))
    assert back["result"]["outcome"] == "applied"


# -- task ids: any unique prefix ---------------------------------------------------------


def _unique_prefix(task: str, others: list[str]) -> str:
    for size in range(4, len(task) + 1):
        if not any(o.startswith(task[:size]) for o in others if o != task):
            return task[:size]
    return task


def test_stop_task_takes_any_unique_prefix(state: Path, aws: Aws) -> None:
    ids = aws.task_ids("dev")
    ecs = aws.client("ecs", "dev")
    task = next(
        arn.rsplit("/", 1)[-1]
        for arn in ecs.list_tasks(cluster="api", serviceName="api")["taskArns"]
    )
    prefix = _unique_prefix(task, list(ids))
    plan = _json(_opskit(state, "stop-task", prefix, "--env", "dev", "--dry-run", "-o", "json"))
    assert plan["plan"]["params"]["task"] == task
    assert plan["plan"]["diffs"][0]["resource"] == f"dev/ecs/task/api/{task}"
    shared = next(
        t[:1] for t in ids if sum(1 for o in ids if o.startswith(t[:1])) > 1
    )  # a one-character prefix at least two tasks share
    done = _opskit(state, "stop-task", shared, "--env", "dev", "--dry-run")
    assert done.returncode == 2 and "ambiguous" in done.stderr


def test_stop_task_prefix_finds_a_task_in_the_second_region(state: Path, aws: Aws) -> None:
    ids = {**aws.task_ids("stage"), **aws.task_ids("stage", SECOND)}
    edge = [t for t, cluster in aws.task_ids("stage", SECOND).items() if cluster == "edge"]
    prefix = _unique_prefix(edge[0], list(ids))
    plan = _json(_opskit(state, "stop-task", prefix, "--env", "stage", "--dry-run", "-o", "json"))
    assert plan["plan"]["params"] == {
        "cluster": "edge", "task": edge[0], "reason": plan["plan"]["params"]["reason"],
        "region": SECOND,
    }  # fmt: skip


# -- an estate described by accounts only ------------------------------------------------


@pytest.mark.slow
def test_accounts_only_estate_is_listed_shown_scaled_and_deployed(
    state: Path, aws: Aws, accounts_only: Path
) -> None:
    described = tomllib.loads(accounts_only.read_text())
    assert {"clusters", "services"}.isdisjoint(described) and described["environments"]
    rows = _json(_opskit(state, "ls", "services", "--env", "dev", "-o", "json",
                         config=accounts_only))  # fmt: skip
    ecs = aws.client("ecs", "dev")
    expected = set()
    for cluster in ecs.list_clusters()["clusterArns"]:
        for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
            expected |= {
                (cluster.rsplit("/", 1)[-1], a.rsplit("/", 1)[-1]) for a in page["serviceArns"]
            }
    assert {(r["cluster"], r["service"]) for r in rows} == expected

    shown = _json(_opskit(state, "show", "tracking", "--env", "dev", "-o", "json",
                          config=accounts_only))  # fmt: skip
    assert shown["arn"] == aws.service("dev", "api", "tracking")["serviceArn"]

    scaled = _json(_opskit(state, "scale", "app/sweeper", "2", "--env", "dev", "-o", "json",
                           config=accounts_only))  # fmt: skip
    assert scaled["result"]["outcome"] == "applied"
    assert aws.service("dev", "app", "sweeper")["desiredCount"] == 2

    deployed = _json(_opskit(state, "deploy", "app/sweeper", "--image", "0.4.2", "--env", "dev",
                             "-o", "json", config=accounts_only))  # fmt: skip
    assert deployed["result"]["outcome"] == "applied", deployed["result"]
    live = aws.service("dev", "app", "sweeper")
    definition = ecs.describe_task_definition(taskDefinition=live["taskDefinition"])
    images = [c["image"] for c in definition["taskDefinition"]["containerDefinitions"]]
    assert images == ["ghcr.io/acme/sweeper:0.4.2"]
    _json(_opskit(state, "scale", "app/sweeper", "1", "--env", "dev", "-o", "json",
                  config=accounts_only))  # fmt: skip


# -- runbooks take addresses too -----------------------------------------------------------


def test_a_runbook_takes_an_address_the_catalog_does_not_list(state: Path, aws: Aws) -> None:
    before = aws.service("dev", "app", "reports")["desiredCount"]
    done = _opskit(
        state, "runbook", "run", "scale", "--env", "dev", "-p", "service=app/reports",
        "-p", f"count={before + 1}",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"scale app/reports in dev: {before} -> {before + 1}" in done.stderr  # progress
    typo = _opskit(state, "runbook", "run", "scale", "--env", "dev", "-p", "service=apx",
                   "-p", "count=1")  # fmt: skip
    assert typo.returncode == 2 and "did you mean 'api'" in typo.stderr


# -- environment-wide changes reach every region -----------------------------------------------


def test_draining_a_second_region_group_through_a_saved_plan(
    state: Path, aws: Aws, tmp_path: Path
) -> None:
    elb = aws.client("elbv2", "stage", SECOND)
    (group,) = elb.describe_target_groups(Names=["stage-edge-proxy"])["TargetGroups"]

    def delay() -> int:
        attributes = elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])
        return int(next(a["Value"] for a in attributes["Attributes"]
                        if a["Key"] == "deregistration_delay.timeout_seconds"))  # fmt: skip

    before = delay()
    wanted = 45 if before != 45 else 46
    saved = tmp_path / "plan.json"
    planned = _opskit(state, "elb", "draining", "--env", "stage", "--seconds", str(wanted),
                      "--match", "stage-edge-*", "--plan-out", str(saved))  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    plan = json.loads(saved.read_text())
    assert [d["resource"] for d in plan["diffs"]] == [
        f"stage/elbv2/targetgroup/{SECOND}:stage-edge-proxy"
    ]
    applied = _json(_opskit(state, "apply", str(saved), "-o", "json"))
    assert applied["result"]["outcome"] == "applied", applied
    assert delay() == wanted
    back = _opskit(state, "elb", "draining", "--env", "stage", "--seconds", str(before),
                   "--match", "stage-edge-*")  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert delay() == before
