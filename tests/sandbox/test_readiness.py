"""Readiness in the sandbox is observable, over HTTP, as ECS and the ALB show it.

A watcher polls a dev service as alice (admin role) while the test changes it, and records
when it first saw each task state, target state and rollout state. Durations come from the
target group's own settings (set by the test), divided by the session's time factor:

- a new task goes PROVISIONING -> PENDING -> RUNNING, in that order, taking seconds of
  sandbox time (its createdAt, pullStartedAt and startedAt say how long);
- its target is ``initial`` for HealthCheckIntervalSeconds × HealthyThresholdCount, then
  ``healthy``;
- a desiredCount change starts no deployment: the PRIMARY stays ``COMPLETED`` throughout
  (so COMPLETED alone never means settled);
- a stopped task's target is ``draining`` for the deregistration delay, then gone;
- a new deployment stays IN_PROGRESS until its targets are healthy and the old ones gone.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

TIME_FACTOR = 200.0  # tests/conftest.py runs the session's sandbox this much faster
LIFECYCLE = ["PROVISIONING", "PENDING", "ACTIVATING", "RUNNING"]
PROVISION_S, PULL_S = 4, 12  # ENI attachment, image pull: seconds of AWS time
CLUSTER, NAME = "cdn", "cdn-edge"
INTERVAL_S, THRESHOLD, DELAY_S = 30, 5, 160  # 150 s of checks -> 0.75 s; 160 s drain -> 0.8 s


def _clients(alice: Any) -> tuple[Any, Any]:
    return alice.client("ecs", env="dev", access="admin"), alice.client(
        "elbv2", env="dev", access="admin"
    )


def _ip(task: dict[str, Any]) -> str:
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    return str(details["privateIPv4Address"])


def _look(
    ecs: Any, elb: Any, group: str
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    service = ecs.describe_services(cluster=CLUSTER, services=[NAME])["services"][0]
    arns = ecs.list_tasks(cluster=CLUSTER, serviceName=NAME)["taskArns"]
    tasks = ecs.describe_tasks(cluster=CLUSTER, tasks=arns)["tasks"] if arns else []
    described = elb.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
    return service, tasks, {d["Target"]["Id"]: d["TargetHealth"]["State"] for d in described}


@pytest.fixture
def group(alice: Any) -> Iterator[str]:
    """cdn-edge's target group with slower checks and drain; put back afterwards."""
    ecs, elb = _clients(alice)
    service = ecs.describe_services(cluster=CLUSTER, services=[NAME])["services"][0]
    arn = str(service["loadBalancers"][0]["targetGroupArn"])
    before = elb.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]
    attributes = elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    delay = next(a["Value"] for a in attributes if a["Key"].startswith("deregistration_delay.t"))
    elb.modify_target_group(
        TargetGroupArn=arn, HealthCheckIntervalSeconds=INTERVAL_S, HealthyThresholdCount=THRESHOLD
    )
    key = "deregistration_delay.timeout_seconds"
    elb.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": key, "Value": str(DELAY_S)}]
    )
    yield arn
    elb.modify_target_group(
        TargetGroupArn=arn,
        HealthCheckIntervalSeconds=before["HealthCheckIntervalSeconds"],
        HealthyThresholdCount=before["HealthyThresholdCount"],
    )
    elb.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": key, "Value": delay}]
    )


def _until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    """Call ``check`` as often as the sandbox answers until it says True."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout} s")
        time.sleep(0.005)


def test_scaling_out_and_in_shows_every_intermediate_state_for_as_long_as_aws(
    alice: Any, group: str
) -> None:
    ecs, elb = _clients(alice)
    service, tasks, _ = _look(ecs, elb, group)
    desired = int(service["desiredCount"])
    old = {t["taskArn"] for t in tasks}
    answer = ecs.update_service(cluster=CLUSTER, service=NAME, desiredCount=desired + 1)["service"]
    assert [d["rolloutState"] for d in answer["deployments"]] == ["COMPLETED"]
    first: dict[tuple[str, str], float] = {}  # (kind, state) -> first seen
    rollouts: set[str] = set()
    new_ip: list[str] = []
    new_task: list[dict[str, Any]] = []

    def out() -> bool:
        now = time.monotonic()
        svc, svc_tasks, targets = _look(ecs, elb, group)
        rollouts.update(d["rolloutState"] for d in svc["deployments"])
        for task in svc_tasks:
            if task["taskArn"] not in old:
                first.setdefault(("task", task["lastStatus"]), now)
                new_ip[:], new_task[:] = [_ip(task)], [task]
        if new_ip and new_ip[0] in targets:
            first.setdefault(("target", targets[new_ip[0]]), now)
        return ("target", "healthy") in first

    _until(out)
    seen = [s for s in LIFECYCLE if ("task", s) in first]
    assert seen[-1] == "RUNNING", seen  # sightings in order; the timestamps say how long:
    assert [first["task", s] for s in seen] == sorted(first["task", s] for s in seen)
    (task,) = new_task
    provisioning = (task["pullStartedAt"] - task["createdAt"]).total_seconds()
    pulling = (task["startedAt"] - task["pullStartedAt"]).total_seconds()
    assert provisioning >= 0.5 * PROVISION_S / TIME_FACTOR, task
    assert pulling >= 0.5 * PULL_S / TIME_FACTOR, task
    checks = INTERVAL_S * THRESHOLD / TIME_FACTOR
    initial = first["target", "healthy"] - first["target", "initial"]
    assert checks * 0.6 <= initial <= checks + 5, (initial, checks)
    assert rollouts == {"COMPLETED"}  # AWS: a desiredCount change is no deployment

    ecs.update_service(cluster=CLUSTER, service=NAME, desiredCount=desired)
    gone: dict[str, float] = {}

    def back_in() -> bool:
        now = time.monotonic()
        _, _, targets = _look(ecs, elb, group)
        if "draining" in targets.values():
            gone.setdefault("draining", now)
        if "draining" in gone and "draining" not in targets.values():
            gone.setdefault("gone", now)
        return "gone" in gone

    _until(back_in)
    drain = DELAY_S / TIME_FACTOR
    assert drain * 0.6 <= gone["gone"] - gone["draining"] <= drain + 5
    service, tasks, targets = _look(ecs, elb, group)
    assert service["runningCount"] == desired == len(tasks)
    assert set(targets.values()) <= {"healthy", "unhealthy"}  # the simulator may flap one


def test_a_deployment_stays_in_progress_until_new_targets_are_healthy_and_old_ones_gone(
    alice: Any, group: str
) -> None:
    ecs, elb = _clients(alice)
    _, tasks, _ = _look(ecs, elb, group)
    old_ips = {_ip(t) for t in tasks}
    answer = ecs.update_service(cluster=CLUSTER, service=NAME, forceNewDeployment=True)["service"]
    deployment = answer["deployments"][0]["id"]
    assert answer["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    history: list[tuple[str, set[str], set[str]]] = []  # rollout, new states, old states

    def completed() -> bool:
        service, _, targets = _look(ecs, elb, group)
        ours = next(d for d in service["deployments"] if d["id"] == deployment)
        new = {s for ip, s in targets.items() if ip not in old_ips}
        old = {s for ip, s in targets.items() if ip in old_ips}
        history.append((ours["rolloutState"], new, old))
        return bool(ours["rolloutState"] == "COMPLETED")

    _until(completed)
    in_progress = [h for h in history if h[0] == "IN_PROGRESS"]
    assert any("initial" in new for _, new, _ in in_progress)
    assert any("draining" in old for _, _, old in in_progress)
    _, new, old = history[-1]
    assert not old and new <= {"healthy", "unhealthy"}, history[-1]
