"""'Applied' means settled: every service change returns only once ECS and the ALB agree.

Each test changes a dev service through the engine (or the CLI) while a watcher, acting as
alice with her own boto3 clients, polls the service's tasks and targets. When the change
returns ``applied``, the service is read again independently and must show what AWS shows
for a steady service: one deployment, runningCount == desiredCount, nothing pending, every
task RUNNING on the service's task definition, each task's address ``healthy`` in the
target group and nothing ``draining``. The watcher proves the wait was real: it saw the
intermediate states (``initial`` targets of new tasks, ``draining`` ones of old tasks; the
tasks' own PROVISIONING -> PENDING -> RUNNING is pinned in tests/sandbox/test_readiness.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opskit.audit import Journal, changes
from opskit.changes import Engine
from opskit.changes.deploy import DeployChange
from opskit.changes.service_changes import RestartChange, RollbackChange, ScaleChange
from opskit.workspace import Workspace
from sandbox.state import SandboxInfo

Make = Callable[..., Workspace]
ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))


class Watcher:
    """Polls one service's target health as alice, recording every state it sees."""

    def __init__(self, alice: Any, cluster: str, name: str) -> None:
        self.ecs = alice.client("ecs", env="dev")
        self.elb = alice.client("elbv2", env="dev")
        self.cluster, self.name = cluster, name
        self.target_states: set[str] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        service = self.ecs.describe_services(cluster=self.cluster, services=[self.name])
        groups = [b["targetGroupArn"] for b in service["services"][0]["loadBalancers"]]
        while not self.stop.is_set():
            for group in groups:
                answer = self.elb.describe_target_health(TargetGroupArn=group)
                self.target_states.update(
                    d["TargetHealth"]["State"] for d in answer["TargetHealthDescriptions"]
                )
            self.stop.wait(0.005)


@contextmanager
def watching(alice: Any, cluster: str, name: str) -> Iterator[Watcher]:
    watcher = Watcher(alice, cluster, name)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    try:
        yield watcher
    finally:
        watcher.stop.set()
        thread.join(10)


def read(
    ecs: Any, elb: Any, cluster: str, name: str, desired: str = "RUNNING"
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """(service, its tasks with that desired status, target id -> state) straight from AWS."""
    service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    arns = ecs.list_tasks(cluster=cluster, serviceName=name, desiredStatus=desired)["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    targets: dict[str, str] = {}
    for binding in service.get("loadBalancers", []):
        answer = elb.describe_target_health(TargetGroupArn=binding["targetGroupArn"])
        for description in answer["TargetHealthDescriptions"]:
            targets[description["Target"]["Id"]] = description["TargetHealth"]["State"]
    return service, tasks, targets


def ip(task: dict[str, Any]) -> str:
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    return str(details["privateIPv4Address"])


def assert_settled(alice: Any, cluster: str, name: str, desired: int) -> dict[str, Any]:
    """The service, read independently, is settled at ``desired`` tasks."""
    ecs, elb = alice.client("ecs", env="dev"), alice.client("elbv2", env="dev")
    service, tasks, targets = read(ecs, elb, cluster, name)
    assert len(service["deployments"]) == 1, service["deployments"]
    assert service["deployments"][0]["status"] == "PRIMARY"
    assert (service["desiredCount"], service["runningCount"], service["pendingCount"]) == (
        desired,
        desired,
        0,
    )
    assert [t["lastStatus"] for t in tasks] == ["RUNNING"] * desired
    assert {t["taskDefinitionArn"] for t in tasks} == {service["taskDefinition"]}
    assert targets == {ip(t): "healthy" for t in tasks}  # all healthy, none draining
    _, stopping, _ = read(ecs, elb, cluster, name, desired="STOPPED")
    assert {t["lastStatus"] for t in stopping} <= {"STOPPED"}
    return dict(service)


def test_scale_up_and_down_return_only_once_settled(workspace: Make, alice: Any) -> None:
    ws = workspace()
    said: list[str] = []
    engine = Engine.from_workspace(ws, progress=said.append)
    with watching(alice, "api", "api") as up:
        result = engine.apply(engine.plan(ScaleChange("dev", "api", 3)))
    assert result.outcome == "applied", result.detail
    assert_settled(alice, "api", "api", 3)
    assert "initial" in up.target_states, up.target_states  # seen while the change waited
    assert any("running 1/3" in line for line in said), said
    assert "running 3/3" in result.detail and "3 targets healthy" in result.detail
    with watching(alice, "api", "api") as down:
        result = engine.apply(engine.plan(ScaleChange("dev", "api", 1)))
    assert result.outcome == "applied", result.detail
    assert_settled(alice, "api", "api", 1)
    assert "draining" in down.target_states, down.target_states
    assert any("draining" in line for line in said), said
    entries = changes(Journal(ws.journal_path).records())
    assert [e.status for e in entries] == ["applied"] * 2
    last = entries[-1].outcome or {}
    (line,) = last["data"]["settled"].values()  # the journal keeps what the operator saw
    assert line.startswith("running 1/1 on api:") and line in result.detail, line


def test_restart_waits_for_new_tasks_and_old_targets_to_drain(workspace: Make, alice: Any) -> None:
    ws = workspace()
    engine = Engine.from_workspace(ws)
    ecs, elb = alice.client("ecs", env="dev"), alice.client("elbv2", env="dev")
    service, tasks, _ = read(ecs, elb, "api", "tracking")
    before = {t["taskArn"] for t in tasks}
    with watching(alice, "api", "tracking") as seen:
        result = engine.apply(engine.plan(RestartChange("dev", "tracking")))
    assert result.outcome == "applied", result.detail
    service = assert_settled(alice, "api", "tracking", service["desiredCount"])
    now = {t["taskArn"] for t in read(ecs, elb, "api", "tracking")[1]}
    assert not before & now  # every task replaced
    assert service["deployments"][0]["rolloutState"] == "COMPLETED"
    assert {"initial", "draining"} <= seen.target_states, seen.target_states


def test_deploy_and_rollback_wait_for_healthy_new_tasks(workspace: Make, alice: Any) -> None:
    ws = workspace()
    engine = Engine.from_workspace(ws)
    ecs = alice.client("ecs", env="dev")
    count = ecs.describe_services(cluster="app", services=["app-web"])["services"][0][
        "desiredCount"
    ]  # as the seed or an earlier test left it: a deploy keeps it
    with watching(alice, "app", "app-web") as deployed:
        result = engine.apply(engine.plan(DeployChange("dev", ("app-web",), ("6.1.0",))))
    assert result.outcome == "applied", result.detail
    service = assert_settled(alice, "app", "app-web", count)
    td = alice.client("ecs", env="dev").describe_task_definition(
        taskDefinition=service["taskDefinition"]
    )["taskDefinition"]
    assert td["containerDefinitions"][0]["image"].endswith(":6.1.0")
    assert {"initial", "draining"} <= deployed.target_states, deployed.target_states
    with watching(alice, "app", "app-web") as rolled:
        result = engine.apply(engine.plan(RollbackChange("dev", "app-web")))
    assert result.outcome == "applied", result.detail
    back = assert_settled(alice, "app", "app-web", count)
    assert back["taskDefinition"] != service["taskDefinition"]
    assert {"initial", "draining"} <= rolled.target_states, rolled.target_states


def test_a_short_timeout_fails_with_the_live_numbers(
    sandbox: SandboxInfo, opskit_state_dir: Path, workspace: Make, alice: Any
) -> None:
    env = {
        **os.environ,
        "OPSKIT_STATE_DIR": str(opskit_state_dir),
        "OPSKIT_CONFIG": str(ROOT / "environments.toml"),
    }
    journal = Journal(opskit_state_dir / "journal.jsonl")
    known = {e.change_id for e in changes(journal.records())}
    command = [OPSKIT, "scale", "billing", "3", "--env", "dev", "--timeout", "0.05", "-o", "json"]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 8, done.stderr
    result = json.loads(done.stdout)["result"]
    assert result["outcome"] == "failed"
    assert "timed out after 0.05 s: running " in result["detail"], result["detail"]
    assert "/3 on billing:" in result["detail"] and " target" in result["detail"]
    last = done.stderr.strip().splitlines()[-1]  # progress lines, then one error line
    assert last.startswith("opskit: scale billing: timed out"), done.stderr
    assert "Traceback" not in done.stderr
    (entry,) = [e for e in changes(journal.records()) if e.change_id not in known]
    assert entry.status == "failed"
    assert entry.outcome is not None and "timed out" in json.dumps(entry.outcome)
    engine = Engine.from_workspace(workspace())
    assert engine.apply(engine.plan(ScaleChange("dev", "billing", 1))).ok
    assert_settled(alice, "app", "billing", 1)
