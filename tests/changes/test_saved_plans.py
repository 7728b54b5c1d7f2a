"""A saved plan does exactly what it showed, and nothing else (issue 11, part 2).

Against the session's sandbox over HTTP: a plan of every change kind, edited after it was
written, is refused both when its signature no longer matches and when the editor had the
key and signed it again (its intent, planned again against the live estate, does not give
the edited diffs). A plan reaching into another environment is refused; so is a saved scale
beyond the configured max, and a prod plan without ``--confirm prod``. Nothing is touched
and no intent is journaled for any of them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opskit.audit import Journal, changes
from opskit.audit.signing import HmacSigner, Signer
from opskit.changes import Engine, Plan
from opskit.changes.batch import BatchChange
from opskit.changes.deploy import DeployChange
from opskit.changes.draining import DrainingChange
from opskit.changes.monitors import MonitorsChange
from opskit.changes.protocol import Change
from opskit.changes.service_changes import RestartChange, RollbackChange, ScaleChange
from opskit.changes.stop_task import StopTaskChange
from opskit.changes.traffic import TrafficShiftChange
from opskit.errors import RefusedError
from opskit.workspace import Workspace

Make = Callable[..., Workspace]
Json = dict[str, Any]


def canonical(data: Json) -> bytes:
    """The documented signed form: the plan's JSON minus ``signature``, sorted, no spaces."""
    body = {k: v for k, v in data.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def re_sign(path: Path, signer: Signer, edit: Callable[[Json], None]) -> None:
    """Edit a saved plan as someone holding the key would: change it, sign it again."""
    data = json.loads(path.read_text())
    edit(data)
    data["signature"] = {"key_id": signer.key_id, "value": signer.sign(canonical(data))}
    path.write_text(json.dumps(data, indent=2))


def tamper(path: Path, edit: Callable[[Json], None]) -> None:
    """Edit a saved plan without the key (the old signature stays)."""
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data, indent=2))


def _service(ws: Workspace, env: str, cluster: str, name: str) -> Json:
    ecs = ws.accounts.client(env, "ecs")
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]  # type: ignore[no-any-return]


def _statuses(ws: Workspace) -> list[tuple[str, bool]]:
    """(status, had an intent record) of every change in the workspace's journal."""
    return [(e.status, e.intent is not None) for e in changes(Journal(ws.journal_path).records())]


def _first_after(value: Any) -> Callable[[Json], None]:
    def edit(data: Json) -> None:
        data["diffs"][0]["after"] = value

    return edit


# Every kind with a saved plan: the change to plan, and a semantic edit of its diffs.
def _deploy(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    change = DeployChange("dev", ("app-web",), ("7.7.7",))
    return change, lambda d: d["diffs"][1].update(after="ghcr.io/evil/app-web:7.7.7")


def _scale(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    desired = int(_service(ws, "dev", "api", "api")["desiredCount"])
    return ScaleChange("dev", "api", 2 if desired != 2 else 3), _first_after(4)


def _restart(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    return RestartChange("dev", "billing"), _first_after("new (billing:1, not forced)")


def _batch(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    batch = BatchChange("dev", "restart", ("billing", "app-jobs"))
    return batch, _first_after("new (billing:1, not forced)")


def _rollback(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    arn = _service(ws, "dev", "cdn", "cdn-edge")["taskDefinition"]
    revision = int(arn.rsplit(":", 1)[1])
    if revision < 2:  # give it something to roll back to
        engine = Engine.from_workspace(ws)
        assert engine.apply(engine.plan(DeployChange("dev", ("cdn-edge",), ("2.3.9",)))).ok
        arn = _service(ws, "dev", "cdn", "cdn-edge")["taskDefinition"]
    return RollbackChange("dev", "cdn-edge"), _first_after(arn.rsplit(":", 1)[0] + ":999")


def _stop_task(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    ecs = ws.accounts.client("dev", "ecs")
    arns = ecs.list_tasks(cluster="app", desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster="app", tasks=arns[:100])["tasks"]
    task = next(t for t in tasks if t["group"] == "service:app-jobs")["taskArn"]
    return StopTaskChange("dev", "app", task, "test"), _first_after("RUNNING")


def _draining(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    return DrainingChange("dev", 41, ("dev-api",)), _first_after(0)


def _traffic(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    def edit(data: Json) -> None:
        for diff in data["diffs"]:
            diff["after"] = 100 if diff["resource"].endswith("/new") else 0

    return TrafficShiftChange("www", "new", (5,), 0.0), edit


def _monitors(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    def edit(data: Json) -> None:
        if data["diffs"]:
            data["diffs"][0]["after"] = {"name": "silenced", "query": "avg(last_5m):0 > 1"}
        else:  # nothing to do now: smuggle a deletion in
            resource = "dev/datadog/monitor/dev.api.cpu"
            data["diffs"].append(
                {"resource": resource, "field": "monitor", "before": {"id": 1}, "after": None}
            )

    return MonitorsChange("dev"), edit


def _promote(ws: Workspace) -> tuple[Change, Callable[[Json], None]]:
    from opskit.changes.promote import PromoteChange

    dev = _service(ws, "dev", "api", "tracking")["taskDefinition"]
    stage = _service(ws, "stage", "api", "tracking")["taskDefinition"]
    ecs = {env: ws.accounts.client(env, "ecs") for env in ("dev", "stage")}
    images = [
        ecs[env].describe_task_definition(taskDefinition=arn)["taskDefinition"]
        for env, arn in (("dev", dev), ("stage", stage))
    ]
    if (
        images[0]["containerDefinitions"][0]["image"]
        == images[1]["containerDefinitions"][0]["image"]
    ):
        engine = Engine.from_workspace(ws)  # give dev something to be promoted over
        assert engine.apply(engine.plan(DeployChange("dev", ("tracking",), ("3.7.9",)))).ok
    return PromoteChange("stage", "dev", ("tracking",)), lambda d: d["diffs"][1].update(
        after="ghcr.io/evil/tracking@sha256:" + "0" * 64
    )


CASES = {
    "deploy": _deploy,
    "promote": _promote,
    "scale": _scale,
    "restart": _restart,
    "rollback": _rollback,
    "stop-task": _stop_task,
    "draining": _draining,
    "traffic-shift": _traffic,
    "datadog-monitors": _monitors,
    "batch": _batch,
}


def test_every_change_kind_is_covered() -> None:
    from opskit.changes.registry import KINDS

    assert set(CASES) == {k for k in KINDS if not k.startswith("fake")}  # tests register fakes


@pytest.mark.parametrize("kind", sorted(CASES))
def test_an_edited_plan_of_every_kind_is_refused(
    kind: str, workspace: Make, tmp_path: Path
) -> None:
    ws = workspace()
    engine = Engine.from_workspace(ws)
    signer = HmacSigner.from_state_dir(ws.state_dir)
    change, edit = CASES[kind](ws)
    plan = engine.plan(change)
    assert plan.change == kind
    saved = tmp_path / "plan.json"
    plan.save(saved, signer)
    confirm = plan.env

    tampered = tmp_path / "tampered.json"
    tampered.write_text(saved.read_text())
    tamper(tampered, edit)
    with pytest.raises(RefusedError, match="plan was modified after it was written"):
        Plan.load(tampered, [signer])

    re_signed = tmp_path / "re-signed.json"
    re_signed.write_text(saved.read_text())
    re_sign(re_signed, signer, edit)
    loaded = Plan.load(re_signed, [signer])  # the signature is right: the content is not
    journaled = _statuses(ws)
    why = "does not match its intent" if plan.diffs else "stale plan"  # empty: one added
    with pytest.raises(RefusedError, match=why) as refused:
        engine.apply_saved(loaded, confirm=confirm)
    assert "\n" not in str(refused.value)
    assert engine.plan(change).diffs == plan.diffs  # nothing in the estate moved
    assert _statuses(ws) == [*journaled, ("refused", False)]


def test_the_intent_is_signed_too_and_a_scale_beyond_the_max_is_refused_at_apply(
    workspace: Make, tmp_path: Path
) -> None:
    ws = workspace()
    engine = Engine.from_workspace(ws)
    signer = HmacSigner.from_state_dir(ws.state_dir)
    desired = int(_service(ws, "dev", "api", "api")["desiredCount"])
    engine.plan(ScaleChange("dev", "api", 2 if desired != 2 else 3)).save(
        tmp_path / "p.json", signer
    )

    def to_500(data: Json) -> None:
        data["params"]["count"] = 500
        data["diffs"][0]["after"] = 500

    re_sign(tmp_path / "p.json", signer, to_500)
    plan = Plan.load(tmp_path / "p.json", [signer])
    with pytest.raises(RefusedError, match=r"outside the configured bounds 1\.\.4"):
        engine.apply_saved(plan)
    assert _service(ws, "dev", "api", "api")["desiredCount"] == desired


def _cross_env_edits(prod_group: str) -> dict[str, Callable[[Json], None]]:
    def other_resource(data: Json) -> None:
        data["diffs"][0]["resource"] = data["diffs"][0]["resource"].replace("dev/", "prod/", 1)

    def other_env(data: Json) -> None:
        data["env"] = "prod"
        for diff in data["diffs"]:
            diff["resource"] = diff["resource"].replace("dev/", "prod/", 1)

    def other_arn(data: Json) -> None:
        (resource,) = data["params"]["arns"]
        data["params"]["arns"][resource] = prod_group

    return {"resource": other_resource, "env": other_env, "arn": other_arn}


@pytest.mark.parametrize("how", ["resource", "env", "arn"])
def test_a_plan_reaching_into_another_environment_is_refused(
    how: str, workspace: Make, tmp_path: Path
) -> None:
    ws = workspace()
    engine = Engine.from_workspace(ws)
    signer = HmacSigner.from_state_dir(ws.state_dir)
    prod_elb = ws.accounts.client("prod", "elbv2")
    prod_group = prod_elb.describe_target_groups(Names=["prod-api"])["TargetGroups"][0]
    before = prod_elb.describe_target_group_attributes(TargetGroupArn=prod_group["TargetGroupArn"])
    plan = engine.plan(DrainingChange("dev", 43, ("dev-api",)))
    assert len(plan.diffs) == 1
    plan.save(tmp_path / "p.json", signer)
    re_sign(tmp_path / "p.json", signer, _cross_env_edits(prod_group["TargetGroupArn"])[how])
    loaded = Plan.load(tmp_path / "p.json", [signer])
    why = {
        "resource": r"prod/elbv2/targetgroup/dev-api is not a resource of dev \(account 2{12}",
        "env": r"names account 2{12}, region eu-west-1, not prod \(account 4{12}, region eu-",
        "arn": r"arn:aws:elasticloadbalancing:eu-west-1:4{12}:\S+ is not a resource of dev ",
    }[how]
    with pytest.raises(RefusedError, match=why):
        engine.apply_saved(loaded, confirm="prod")
    after = prod_elb.describe_target_group_attributes(TargetGroupArn=prod_group["TargetGroupArn"])
    assert after["Attributes"] == before["Attributes"]
    assert _statuses(ws) == []  # an out-of-environment plan is not journaled as anyone's change


def test_a_plan_signed_by_the_local_key_has_the_documented_signature(
    workspace: Make, tmp_path: Path
) -> None:
    ws = workspace()
    signer = HmacSigner.from_state_dir(ws.state_dir)
    plan = Engine.from_workspace(ws).plan(DrainingChange("dev", 44, ("dev-api",)))
    plan.save(tmp_path / "p.json", signer)
    data = json.loads((tmp_path / "p.json").read_text())
    key = (ws.state_dir / "signing.key").read_bytes()
    expected = hmac.new(key, canonical(data), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(data["signature"]["value"]) == expected
    assert (ws.state_dir / "signing.key").stat().st_mode & 0o777 == 0o600


def test_a_signed_plan_with_parameters_of_the_wrong_shape_is_refused(
    workspace: Make, tmp_path: Path
) -> None:
    ws = workspace()
    engine = Engine.from_workspace(ws)
    signer = HmacSigner.from_state_dir(ws.state_dir)
    engine.plan(DrainingChange("dev", 42, ("dev-api",))).save(tmp_path / "p.json", signer)
    re_sign(tmp_path / "p.json", signer, lambda d: d["params"].update(seconds="soon"))
    with pytest.raises(RefusedError, match=r"refused: bad parameters \(ValueError: "):
        engine.apply_saved(Plan.load(tmp_path / "p.json", [signer]))
    assert _statuses(ws) == [("refused", False)]
