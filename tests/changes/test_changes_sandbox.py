"""Every change end to end on the sandbox, over HTTP, through the engine."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest

from opskit.audit import Journal, changes, verify
from opskit.audit.signing import HmacSigner
from opskit.changes import ChangeNotApplied, Engine, Plan
from opskit.changes.deploy import DeployChange
from opskit.changes.draining import DrainingChange
from opskit.changes.service_changes import RestartChange, RollbackChange, ScaleChange
from opskit.changes.stop_task import StopTaskChange
from opskit.changes.traffic import TrafficShiftChange
from opskit.errors import AuthError, RefusedError
from opskit.workspace import Workspace

Make = Callable[..., Workspace]
CANARY = "sandbox-db-password-7f3a"  # api's DATABASE_PASSWORD in environments.toml


def _engine(ws: Workspace, **options: Any) -> Engine:
    return Engine.from_workspace(ws, **options)


def _service(ws: Workspace, env: str, cluster: str, name: str) -> dict[str, Any]:
    ecs = ws.accounts.client(env, "ecs")
    return ecs.describe_services(cluster=cluster, services=[name])["services"][0]  # type: ignore[no-any-return]


def _image(ws: Workspace, env: str, cluster: str, name: str) -> str:
    ecs = ws.accounts.client(env, "ecs")
    arn = _service(ws, env, cluster, name)["taskDefinition"]
    td = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    return str(td["containerDefinitions"][0]["image"])


def _statuses(ws: Workspace) -> list[str]:
    return [e.status for e in changes(Journal(ws.journal_path).records())]


def test_deploy_rolls_out_copies_the_task_definition_and_never_journals_secrets(
    workspace: Make,
) -> None:
    ws = workspace()
    said: list[str] = []
    engine = _engine(ws, progress=said.append)
    ecs = ws.accounts.client("dev", "ecs")
    before_arn = _service(ws, "dev", "api", "api")["taskDefinition"]
    plan = engine.plan(DeployChange("dev", ("api",), ("1.43.0",)))
    assert [d.field for d in plan.diffs] == ["taskDefinition", "image:api"]
    assert plan.diffs[1].after == "ghcr.io/acme/api:1.43.0"
    result = engine.apply(plan)
    assert result.outcome == "applied", result.detail
    service = _service(ws, "dev", "api", "api")
    assert service["taskDefinition"] != before_arn
    new = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    old = ecs.describe_task_definition(taskDefinition=before_arn)["taskDefinition"]
    assert new["containerDefinitions"][0]["image"] == "ghcr.io/acme/api:1.43.0"
    assert (
        new["containerDefinitions"][0]["environment"]
        == old["containerDefinitions"][0]["environment"]
    )
    assert any("on api:" in line and "running 1/1" in line for line in said)
    assert _statuses(ws) == ["applied"]
    journal_text = ws.journal_path.read_text()
    assert CANARY not in journal_text
    assert CANARY not in str(plan.to_json()) and CANARY not in str(result.to_json())
    assert verify(Journal(ws.journal_path)).ok


def test_a_broken_image_is_rolled_back_automatically(workspace: Make) -> None:
    ws = workspace()
    engine = _engine(ws)
    before_arn = _service(ws, "dev", "app", "billing")["taskDefinition"]
    with pytest.raises(ChangeNotApplied) as failed:
        plan = engine.plan(DeployChange("dev", ("billing",), ("broken",)))
        engine.apply(plan, timeout=15)
    assert failed.value.result.outcome == "rolled_back"
    assert "rolled back to billing:" in failed.value.result.detail
    service = _service(ws, "dev", "app", "billing")
    assert service["taskDefinition"] == before_arn
    assert _statuses(ws) == ["rolled_back"]


def test_a_stale_plan_is_refused_and_a_fresh_one_applies(workspace: Make, tmp_path: Any) -> None:
    ws = workspace()
    engine = _engine(ws)
    desired = int(_service(ws, "dev", "api", "tracking")["desiredCount"])
    signer = HmacSigner.from_state_dir(tmp_path)
    engine.plan(ScaleChange("dev", "tracking", desired + 1)).save(tmp_path / "plan.json", signer)
    engine.apply(engine.plan(ScaleChange("dev", "tracking", desired + 2)))
    with pytest.raises(RefusedError, match="stale plan"):
        engine.apply(Plan.load(tmp_path / "plan.json", [signer]))
    assert _service(ws, "dev", "api", "tracking")["desiredCount"] == desired + 2
    engine.apply(engine.plan(ScaleChange("dev", "tracking", desired)))
    assert _statuses(ws) == ["applied", "refused", "applied"]


def test_scale_outside_the_configured_bounds_is_a_usage_error(workspace: Make) -> None:
    from opskit.errors import UsageError

    engine = _engine(workspace())
    with pytest.raises(UsageError, match=r"outside the configured bounds 1\.\.4"):
        engine.plan(ScaleChange("dev", "api", 5))


def test_a_second_change_on_a_busy_service_is_refused_naming_the_holder(workspace: Make) -> None:
    ws = workspace()
    started = threading.Event()
    deploy = _engine(ws, progress=lambda line: started.set())
    plan = deploy.plan(DeployChange("dev", ("integrations",), ("0.19.5",)))
    outcome: list[str] = []
    worker = threading.Thread(target=lambda: outcome.append(deploy.apply(plan).outcome))
    worker.start()
    try:
        assert started.wait(60)
        other = _engine(ws)
        with pytest.raises(RefusedError, match=r"locked by alice \(deploy "):
            other.apply(other.plan(RestartChange("dev", "integrations")))
    finally:
        worker.join(120)
    assert outcome == ["applied"]


def test_prod_without_confirmation_is_refused_journaled_and_untouched(workspace: Make) -> None:
    ws = workspace()
    engine = _engine(ws)
    before = _service(ws, "prod", "api", "api")["taskDefinition"]
    plan = engine.plan(DeployChange("prod", ("api",), ("9.9.9",)))
    with pytest.raises(RefusedError, match="prod is protected"):
        engine.apply(plan)
    assert _service(ws, "prod", "api", "api")["taskDefinition"] == before
    (entry,) = changes(Journal(ws.journal_path).records())
    assert entry.status == "refused" and entry.intent is None
    assert entry.outcome is not None and entry.outcome["where"]["env"] == "prod"


def test_bob_is_denied_outside_dev(workspace: Make, tmp_path: Any) -> None:
    alice, bob = workspace("alice"), workspace("bob")
    with pytest.raises(AuthError, match="bob may not enter stage"):
        _engine(bob).plan(ScaleChange("stage", "api", 2))
    desired = int(_service(alice, "stage", "api", "api")["desiredCount"])
    plan = _engine(alice).plan(ScaleChange("stage", "api", desired + 1))
    with pytest.raises(AuthError):
        _engine(bob).apply(plan)
    assert _service(alice, "stage", "api", "api")["desiredCount"] == desired
    assert _statuses(bob) == ["denied", "failed"]  # denied at planning, then failed to apply


def test_the_read_access_level_cannot_apply(workspace: Make) -> None:
    ws = workspace()
    reader = _engine(ws, access="read")
    plan = reader.plan(ScaleChange("dev", "api", 2))
    with pytest.raises(RefusedError, match="needs deploy access"):
        reader.apply(plan)
    ctx = reader.context()  # past the guard, AWS itself says no to the read role
    with pytest.raises(AuthError, match="denied"):
        ScaleChange("dev", "api", 2).apply(ctx, plan)
    assert _service(ws, "dev", "api", "api")["desiredCount"] == 1


def test_restart_and_rollback(workspace: Make) -> None:
    ws = workspace()
    engine = _engine(ws)
    deployment = _service(ws, "dev", "cdn", "cdn-edge")["deployments"][0]["id"]
    assert engine.apply(engine.plan(RestartChange("dev", "cdn-edge"))).ok
    primary = [
        d for d in _service(ws, "dev", "cdn", "cdn-edge")["deployments"] if d["status"] == "PRIMARY"
    ]
    assert primary[0]["id"] != deployment
    engine.apply(engine.plan(DeployChange("dev", ("cdn-edge",), ("2.3.1",))))
    assert _image(ws, "dev", "cdn", "cdn-edge").endswith(":2.3.1")
    plan = engine.plan(RollbackChange("dev", "cdn-edge"))
    assert plan.diffs[1].after.endswith(":2.3.0")
    assert engine.apply(plan).ok
    assert _image(ws, "dev", "cdn", "cdn-edge").endswith(":2.3.0")
    assert _statuses(ws) == ["applied"] * 3


def test_stop_task(workspace: Make) -> None:
    ws = workspace()
    engine = _engine(ws)
    ecs = ws.accounts.client("dev", "ecs")
    arns = ecs.list_tasks(cluster="app", serviceName="app-jobs", desiredStatus="RUNNING")[
        "taskArns"
    ]
    task = ecs.describe_tasks(cluster="app", tasks=arns)["tasks"]
    target = next(t for t in task if t["group"] == "service:app-jobs")["taskArn"]
    result = engine.apply(engine.plan(StopTaskChange("dev", "app", target, "test")))
    assert result.ok
    stopped = ecs.describe_tasks(cluster="app", tasks=[target])["tasks"][0]
    assert stopped["desiredStatus"] == "STOPPED"


def test_draining_sets_every_target_group_in_one_change(workspace: Make) -> None:
    ws = workspace()
    engine = _engine(ws)
    plan = engine.plan(DrainingChange("dev", 45))
    elb = ws.accounts.client("dev", "elbv2")
    groups = elb.describe_target_groups()["TargetGroups"]
    assert len(plan.diffs) == len(groups) >= 5
    assert engine.apply(plan).ok
    for group in groups:
        attrs = elb.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])
        values = {a["Key"]: a["Value"] for a in attrs["Attributes"]}
        assert values["deregistration_delay.timeout_seconds"] == "45"
    assert engine.plan(DrainingChange("dev", 45)).empty


def _weights(ws: Workspace) -> dict[str, int]:
    from opskit.aws import route53 as dns_changes

    r53 = ws.accounts.client("prod", "route53")
    record = ws.config.traffic["www"].record
    _, zone = dns_changes.zone_of(r53, record)
    return {s: int(r["Weight"]) for s, r in dns_changes.weighted_sets(r53, zone, record).items()}


def _put_5xx(ws: Workspace, env: str, service: str, errors: float, requests: float) -> None:
    elb = ws.accounts.client(env, "elbv2", access="admin")
    cw = ws.accounts.client(env, "cloudwatch", access="admin")
    svc = _service(ws, env, "app", service)
    arn = svc["loadBalancers"][0]["targetGroupArn"]
    group = elb.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    dims = [
        {"Name": "TargetGroup", "Value": arn.split(":", 5)[-1]},
        {"Name": "LoadBalancer", "Value": group["LoadBalancerArns"][0].split(":loadbalancer/")[-1]},
    ]
    now = dt.datetime.now(dt.UTC)
    cw.put_metric_data(
        Namespace="AWS/ApplicationELB",
        MetricData=[
            {
                "MetricName": "HTTPCode_Target_5XX_Count",
                "Dimensions": dims,
                "Value": errors,
                "Timestamp": now,
            },
            {"MetricName": "RequestCount", "Dimensions": dims, "Value": requests, "Timestamp": now},
        ],
    )


def test_traffic_shift_ramps_and_a_failed_gate_restores_the_last_good_weights(
    workspace: Make,
) -> None:
    ws = workspace()
    said: list[str] = []
    engine = _engine(ws, progress=said.append)
    start = _weights(ws)
    plan = engine.plan(TrafficShiftChange("www", "new", (1, 5, 25), 0.0))
    assert {d.field for d in plan.diffs} == {"weight"}
    assert engine.apply(plan, confirm="prod").ok
    assert _weights(ws) == {"legacy": 75, "new": 25}
    ramp = [line.split(": ", 1)[1].split(" (")[0] for line in said if " at " in line]
    assert ramp == ["new at 1%", "new at 5%", "new at 25%"]
    _put_5xx(ws, "prod", "app-web", errors=500, requests=1000)
    with pytest.raises(ChangeNotApplied) as failed:
        engine.apply(engine.plan(TrafficShiftChange("www", "new", (50, 100), 0.0)), confirm="prod")
    assert failed.value.result.outcome == "rolled_back"
    assert "5xx rate" in failed.value.result.detail
    assert _weights(ws) == {"legacy": 75, "new": 25}
    back = engine.plan(TrafficShiftChange("www", "legacy", (100,), 0.0))
    engine.apply(back, confirm="prod")
    assert _weights(ws) == start
