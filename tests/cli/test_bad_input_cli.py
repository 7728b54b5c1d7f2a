"""Bad input never mutates: each bad option or parameter, given to `opskit` against the
sandbox, is one line and exit 2, with the journal and the estate unchanged. The lines run
in-process through the console script's own boundary (``tests/cli_inprocess.py``).

The estate is read with boto3 over HTTP (not with opskit): desired counts and task
definitions of the services touched, every target group's deregistration delay in dev,
and the weighted DNS records of prod's traffic shift."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess

from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
SHIFT = ("dns", "shift", "www", "--to", "new", "--confirm", "prod")

CASES: list[tuple[tuple[str, ...], str]] = [
    (("deploy", "api", "--env", "dev", "--image", "evil repo:1.0"), "not an image reference"),
    (("deploy", "api", "--env", "dev", "--image", "api=ghcr.io/Acme/api:1"), "image reference"),
    (("deploy", "api", "--env", "dev", "--image", "1.0", "--timeout", "-5"), "--timeout"),
    (("deploy", "api", "--env", "dev", "--image", "1.0", "--timeout", "nan"), "--timeout"),
    (("deploy", "api", "--env", "dev", "--image", "1.0", "--timeout", "inf"), "--timeout"),
    (("scale", "api", "2", "--env", "dev", "--timeout", "0"), "--timeout"),
    ((*SHIFT, "--pause", "-1"), "--pause"),
    ((*SHIFT, "--pause", "nan"), "--pause"),
    ((*SHIFT, "--steps", "50,5"), "--steps"),
    ((*SHIFT, "--steps", "5,5"), "--steps"),
    ((*SHIFT, "--steps", "0,100"), "--steps"),
    ((*SHIFT, "--steps", "1,101"), "--steps"),
    ((*SHIFT, "--max-error-rate", "2"), "--max-error-rate"),
    ((*SHIFT, "--max-error-rate", "nan"), "--max-error-rate"),
    (("elb", "draining", "--env", "dev", "--seconds", "3601"), "--seconds"),
    (("elb", "draining", "--env", "dev", "--seconds", "-1"), "--seconds"),
    (("rollback", "api", "--env", "dev", "--revision", "0"), "--revision"),
    (("rollback", "api", "--env", "dev", "--revision", "999"), "--revision 999"),
    (("scale", "api", "2", "--env", "dev", "--access", ""), "--access"),
    (("scale", "api", "2", "--env", "dev", "--access", "root"), "--access"),
    (("scale", "api", "-1", "--env", "dev"), "-1"),
    (("scale", "api", "99", "--env", "dev"), "outside the configured bounds"),
    (("audit", "log", "--since", "yesterday-ish"), "--since"),
    (("audit", "log", "--since", "99999999999w"), "--since"),
    (
        ("runbook", "run", "scale", "--env", "dev", "-p", "service=api", "-p", "count=99",
         "--apply"),
        "outside api's bounds",
    ),
    (
        ("runbook", "run", "deploy", "--env", "dev", "-p", "service=api", "-p",
         "image=evil repo:1.0", "--apply"),
        "image reference",
    ),
    (
        ("runbook", "run", "traffic-shift", "--env", "prod", "-p", "shift=www", "-p", "to=new",
         "-p", "pause_seconds=7200", "--apply", "--confirm", "prod"),
        "pause_seconds",
    ),
    (
        ("runbook", "run", "traffic-shift", "--env", "prod", "-p", "shift=www", "-p", "to=new",
         "-p", "steps=5,5", "--apply", "--confirm", "prod"),
        "rising percents",
    ),
]  # fmt: skip


def _estate(alice: Any) -> dict[str, Any]:
    """What the bad commands above could have changed, read with boto3."""
    seen: dict[str, Any] = {}
    for env in ("dev", "prod"):
        ecs = alice.client("ecs", env=env)
        for cluster, names in (("api", ["api"]), ("app", ["app-web"])):
            for s in ecs.describe_services(cluster=cluster, services=names)["services"]:
                seen[f"{env}/{s['serviceName']}"] = (s["desiredCount"], s["taskDefinition"])
    elb = alice.client("elbv2", env="dev")
    for group in elb.describe_target_groups()["TargetGroups"]:
        attributes = elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])
        seen[group["TargetGroupName"]] = attributes["Attributes"]
    route53 = alice.client("route53", env="prod")
    for zone in route53.list_hosted_zones()["HostedZones"]:
        records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
        seen[zone["Name"]] = [(r["Name"], r.get("SetIdentifier"), r.get("Weight")) for r in records]
    return seen


@pytest.mark.slow
def test_every_bad_input_is_one_line_exit_2_and_changes_nothing(
    sandbox: SandboxInfo, opskit_state_dir: Path, alice: Any
) -> None:
    env = {
        **os.environ,
        "OPSKIT_STATE_DIR": str(opskit_state_dir),
        "OPSKIT_CONFIG": str(ROOT / "environments.toml"),
    }
    journal = opskit_state_dir / "journal.jsonl"

    def lines() -> int:
        return len(journal.read_bytes().splitlines()) if journal.exists() else 0

    estate, journaled = _estate(alice), lines()
    failures = []
    for args, says in CASES:
        result = opskit_inprocess(env, *args)
        errors = result.stderr.strip().splitlines()
        ok = result.returncode == 2 and len(errors) == 1 and says in errors[0]
        if not ok:
            failures.append((args, result.returncode, result.stderr))
    assert not failures, failures
    assert lines() == journaled
    assert _estate(alice) == estate


@pytest.mark.parametrize("since", ["10m", "2h", "2026-01-01"])
def test_good_since_values_still_work(opskit_state_dir: Path, since: str) -> None:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(opskit_state_dir)}
    config = str(ROOT / "environments.toml")
    result = opskit_inprocess(env, "--config", config, "audit", "log", "--since", since)
    assert result.returncode == 0, result.stderr
