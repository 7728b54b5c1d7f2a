"""Pure logic of the concrete changes: image specs, rollout states, traffic splits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from opskit.audit import REDACTED, Redactor
from opskit.audit.signing import HmacSigner
from opskit.changes.deploy import new_images
from opskit.changes.plan import Diff, Plan
from opskit.changes.traffic import percent, split
from opskit.changes.waiting import deployment_state
from opskit.errors import RefusedError, UsageError

CONTAINERS = [
    {"name": "api", "image": "ghcr.io/acme/api:1.42.0", "essential": True},
    {"name": "sidecar", "image": "localhost:5000/envoy:1.0", "essential": False},
]


def test_image_specs() -> None:
    assert new_images(CONTAINERS, "api", ["1.43.0"]) == {
        "api": ("ghcr.io/acme/api:1.42.0", "ghcr.io/acme/api:1.43.0")
    }
    assert new_images(CONTAINERS, "api", ["sidecar=1.1"]) == {
        "sidecar": ("localhost:5000/envoy:1.0", "localhost:5000/envoy:1.1")
    }
    assert new_images(CONTAINERS, "api", ["ghcr.io/acme/other:2"])["api"][1] == (
        "ghcr.io/acme/other:2"
    )
    assert new_images(CONTAINERS, "api", ["1.42.0"]) == {}
    with pytest.raises(UsageError, match="no container 'web'"):
        new_images(CONTAINERS, "api", ["web=1"])
    with pytest.raises(UsageError, match="not a valid image tag"):
        new_images(CONTAINERS, "api", ["bad tag!"])


def _deployment(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "ecs-svc/new",
        "status": "PRIMARY",
        "taskDefinition": "arn:aws:ecs:eu-west-1:1:task-definition/api:13",
        "desiredCount": 3,
        "runningCount": 3,
        "failedTasks": 0,
        "rolloutState": "IN_PROGRESS",
    }
    return {**base, **fields}


OLD = {
    "id": "ecs-svc/old",
    "status": "ACTIVE",
    "taskDefinition": "arn:aws:ecs:eu-west-1:1:task-definition/api:12",
    "runningCount": 1,
}


@pytest.mark.parametrize(
    ("deployments", "state", "says"),
    [
        ([_deployment(runningCount=2), OLD], "waiting", "2/3 running on api:13, 1 old"),
        ([_deployment()], "done", "3/3 running on api:13"),
        ([_deployment(rolloutState="COMPLETED")], "done", "3/3"),
        (
            [_deployment(rolloutState="FAILED", rolloutStateReason="circuit breaker")],
            "failed",
            "FAILED: circuit breaker",
        ),
        ([_deployment(runningCount=0, failedTasks=4)], "failed", "keep failing (4 failed"),
        (
            [{**OLD, "status": "PRIMARY"}, _deployment(status="ACTIVE")],
            "failed",
            "rolled api:13 back to api:12",
        ),
        ([{**OLD, "status": "PRIMARY"}], "failed", "now runs api:12"),
    ],
)
def test_deployment_states(deployments: list[dict[str, Any]], state: str, says: str) -> None:
    got, message = deployment_state({"deployments": deployments}, "ecs-svc/new")
    assert got == state and says in message


def test_traffic_split_and_percent() -> None:
    assert split({"legacy": 100, "new": 0}, "new", 5) == {"new": 5, "legacy": 95}
    assert split({"a": 50, "b": 30, "c": 20}, "a", 60) == {"a": 60, "b": 24, "c": 16}
    assert sum(split({"a": 1, "b": 1, "c": 1}, "a", 1).values()) == 100
    assert split({"legacy": 0, "new": 0}, "new", 25) == {"new": 25, "legacy": 75}
    assert percent({"legacy": 75, "new": 25}, "new") == 25
    assert percent({"legacy": 0, "new": 0}, "new") == 0


def test_redactor_by_name_pair_and_value() -> None:
    redact = Redactor(names=["STRIPE_KEY"], values=["s3cr3t-value"])
    data = {
        "environment": [
            {"name": "STRIPE_KEY", "value": "sk_live_1"},
            {"name": "DATABASE_PASSWORD", "value": "hunter2"},
            {"name": "LOG_LEVEL", "value": "info"},
        ],
        "API_TOKEN": "abc",
        "message": "failed with s3cr3t-value in it",
        "count": 3,
    }
    out = redact(data)
    assert [e["value"] for e in out["environment"]] == [REDACTED, REDACTED, "info"]
    assert out["API_TOKEN"] == REDACTED and out["count"] == 3
    assert out["message"] == f"failed with {REDACTED} in it"


def test_plan_json_round_trip(tmp_path: Any) -> None:
    plan = Plan(
        change="scale",
        summary="scale api",
        env="dev",
        account_id="222222222222",
        region="eu-west-1",
        access="deploy",
        diffs=(Diff("dev/ecs/service/api/api", "desiredCount", 1, 2),),
        params={"service": "api", "count": 2},
    )
    signer = HmacSigner.from_state_dir(tmp_path)
    plan.save(tmp_path / "plan.json", signer)
    loaded = Plan.load(tmp_path / "plan.json", [signer])
    assert loaded == plan and loaded.resources == ("dev/ecs/service/api/api",)
    (tmp_path / "unsigned.json").write_text('{"format": 1}')
    with pytest.raises(RefusedError, match="the plan is not signed"):
        Plan.load(tmp_path / "unsigned.json", [signer])
    bad: dict[str, object] = {"format": 1}
    bad["signature"] = {"key_id": signer.key_id, "value": signer.sign(b'{"format":1}')}
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(UsageError, match="not an opskit plan"):
        Plan.load(tmp_path / "bad.json", [signer])
