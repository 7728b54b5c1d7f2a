"""The ECS service scheduler: deployments, scaling and the circuit breaker.

``reconcile`` is one pass of what ECS does for a service, run whenever something about it
changed (an API call, a task transition, a target passing its health checks):

- rolling update within the deployment configuration: at most ``maximumPercent`` of the
  desired count live, never fewer than ``minimumHealthyPercent`` healthy (RUNNING and, with
  a load balancer, a healthy target). New tasks start for the PRIMARY deployment; tasks of
  older (ACTIVE) deployments stop once enough new ones are healthy, draining first;
- desired count changes start or stop tasks of the PRIMARY deployment (no new deployment);
- a deployment with no tasks of older deployments left and all its tasks healthy is
  COMPLETED ("deployment completed", "has reached a steady state");
- the circuit breaker: when the PRIMARY deployment's failed tasks reach
  min(200, max(3, ceil(desired / 2))) it is FAILED and, with rollback on, a new PRIMARY
  deployment of the last COMPLETED task definition takes over, adopting the tasks still
  running it, so the old revision keeps serving throughout.
"""

from __future__ import annotations

import math
import time
from typing import Any

from moto.core.utils import utcnow

from sandbox.seed import targets as estate_targets
from sandbox.simulator import events as simulator_events
from sandbox.simulator.lifecycle import Runtime, launch, stop
from sandbox.simulator.model import ServiceSim, TaskSim, refresh_counts

DEFAULT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
FAILED_LINGER_S = 600
RETRY_FAILED_S = 60


def configuration(service: Any) -> dict[str, Any]:
    return getattr(service, "deployment_configuration", None) or DEFAULT_CONFIGURATION


def healthy(svc: ServiceSim, ts: TaskSim) -> bool:
    """RUNNING and, when it has a target, the target is healthy."""
    if not ts.live or ts.status != "RUNNING":
        return False
    group = svc.target_group
    if not ts.target or group is None or not ts.address:
        return ts.healthy_once
    if estate_targets.state(group, ts.address) == "healthy":
        ts.healthy_once = True
        return True
    return False


def reconcile(rt: Runtime, svc: ServiceSim) -> None:
    """One scheduling pass for one service."""
    service = svc.service
    _flush_events(svc)
    if service.status != "ACTIVE":
        _stop_tasks(rt, svc, svc.live_tasks(), "Service deleted", "ServiceSchedulerInitiated")
        refresh_counts(svc)
        return
    primary = simulator_events.primary(service)
    if primary is None:
        return
    desired = int(service.desired_count or 0)
    config = configuration(service)
    max_total = max(desired, math.floor(desired * int(config.get("maximumPercent", 200)) / 100))
    min_healthy = math.ceil(desired * int(config.get("minimumHealthyPercent", 100)) / 100)
    scaling = f"Scaling activity initiated by (deployment {primary['id']})"
    new = svc.live_tasks(primary["id"])
    # Scale in: the newest and least healthy tasks go first.
    if len(new) > desired:
        extra = sorted(new, key=lambda t: (healthy(svc, t), -_started(t)))[: len(new) - desired]
        _stop_tasks(rt, svc, extra, scaling, "ServiceSchedulerInitiated")
        new = svc.live_tasks(primary["id"])
    # Scale out / replace, within maximumPercent.
    room = max_total - len(svc.live_tasks())
    wanted = min(desired - len(new), room)
    if wanted > 0 and _may_launch(rt, svc, primary):
        launched = [ts for ts in (launch(rt, svc, primary) for _ in range(wanted)) if ts]
        if launched:
            simulator_events.started(service, [ts.short_id for ts in launched])
    # Retire older deployments' tasks while keeping minimumHealthyPercent healthy.
    old = [t for t in svc.live_tasks() if t.deployment != primary["id"]]
    budget = sum(healthy(svc, t) for t in svc.live_tasks()) - min_healthy
    retiring = []
    for ts in sorted(old, key=lambda t: healthy(svc, t)):
        if not healthy(svc, ts):
            retiring.append(ts)
        elif budget > 0:
            retiring.append(ts)
            budget -= 1
    if retiring:
        _stop_tasks(rt, svc, retiring, scaling, "ServiceSchedulerInitiated")
    _drop_finished_deployments(rt, svc, primary)
    refresh_counts(svc)
    _complete_or_break(rt, svc, primary, desired)


def _flush_events(svc: ServiceSim) -> None:
    """One event for the targets registered and the tasks stopped since the last pass."""
    group = svc.target_group
    if svc.just_registered and group is not None:
        simulator_events.registered(svc.service, svc.just_registered, group.arn)
    if svc.just_stopped:
        simulator_events.stopped(svc.service, svc.just_stopped)
    svc.just_registered, svc.just_stopped = 0, []


def _started(ts: TaskSim) -> float:
    started = getattr(ts.task, "created_at", None)
    return started.timestamp() if started else 0.0


def _may_launch(rt: Runtime, svc: ServiceSim, primary: dict[str, Any]) -> bool:
    """A FAILED deployment with nothing to roll back to retries only now and then."""
    if primary.get("rolloutState") != "FAILED":
        return True
    if time.time() - svc.last_retry < rt.scheduler.scaled(RETRY_FAILED_S):
        rt.reconcile_soon(svc, rt.scheduler.scaled(RETRY_FAILED_S))
        return False
    svc.last_retry = time.time()
    return True


def _stop_tasks(rt: Runtime, svc: ServiceSim, tasks: list[TaskSim], reason: str, code: str) -> None:
    drained = [ts for ts in tasks if stop(rt, svc, ts, reason, code)]
    plain = [ts for ts in tasks if ts not in drained]
    group = svc.target_group
    if drained and group is not None:
        simulator_events.draining(svc.service, len(drained))
        simulator_events.deregistered(svc.service, len(drained), group.arn)
    if plain:
        simulator_events.stopped(svc.service, [ts.short_id for ts in plain])


def _drop_finished_deployments(rt: Runtime, svc: ServiceSim, primary: dict[str, Any]) -> None:
    now = time.time()
    kept = []
    for deployment in svc.service.deployments:
        if deployment is primary:
            kept.append(deployment)
            continue
        busy = bool(svc.unstopped(deployment["id"]))
        if deployment.get("rolloutState") == "FAILED":
            until = svc.failed_until.setdefault(
                deployment["id"], now + rt.scheduler.scaled(FAILED_LINGER_S)
            )
            if busy or now < until:
                kept.append(deployment)
                rt.reconcile_soon(svc, max(0.0, until - now) + 0.05)
            continue
        if busy:
            kept.append(deployment)
    if len(kept) != len(svc.service.deployments):
        svc.service.deployments = kept


def _complete_or_break(rt: Runtime, svc: ServiceSim, primary: dict[str, Any], desired: int) -> None:
    service = svc.service
    new = svc.live_tasks(primary["id"])
    others_busy = any(
        t.deployment != primary["id"] and t.status != "STOPPED" for t in svc.tasks.values()
    )
    settled = not others_busy and len(new) == desired and all(healthy(svc, t) for t in new)
    if primary.get("rolloutState") == "IN_PROGRESS":
        breaker = configuration(service).get("deploymentCircuitBreaker") or {}
        threshold = min(200, max(3, math.ceil(desired / 2)))
        if breaker.get("enable") and primary.get("failedTasks", 0) >= threshold:
            fail(rt, svc, primary, rollback=bool(breaker.get("rollback")))
            return
        if settled:
            simulator_events.touch(
                primary,
                rolloutState="COMPLETED",
                rolloutStateReason=f"ECS deployment {primary['id']} completed.",
            )
            svc.last_good = primary["taskDefinition"]
            simulator_events.completed(service, primary)
    if settled and not svc.steady_announced:
        svc.steady_announced = True
        simulator_events.steady(service)


def fail(rt: Runtime, svc: ServiceSim, primary: dict[str, Any], rollback: bool) -> None:
    """The circuit breaker trips: FAILED, and a rollback deployment when there is one."""
    service = svc.service
    simulator_events.touch(
        primary,
        rolloutState="FAILED",
        rolloutStateReason="ECS deployment circuit breaker: tasks failed to start.",
    )
    simulator_events.failed(service, primary)
    good = svc.last_good
    if not rollback or not good or good == primary["taskDefinition"]:
        return
    previous = next(
        (d for d in service.deployments if d is not primary and d["taskDefinition"] == good), None
    )
    simulator_events.rolling_back(service, previous["id"] if previous else good)
    replacement = simulator_events.new_deployment(service, good, rt.scheduler.rng)
    adopted = {
        d["id"] for d in service.deployments if d is not primary and d["taskDefinition"] == good
    }
    for ts in svc.tasks.values():
        if ts.deployment in adopted:
            ts.deployment = replacement["id"]
    primary["status"] = "ACTIVE"
    primary["updatedAt"] = utcnow()
    service.deployments = [
        replacement,
        primary,
        *[d for d in service.deployments if d is not primary and d["id"] not in adopted],
    ]
    service.task_definition = good
    rt.reconcile_soon(svc)


def on_update(
    rt: Runtime, svc: ServiceSim, before_task_definition: str | None, forced: bool
) -> None:
    """After UpdateService: a new PRIMARY deployment for a new task definition or a force."""
    service = svc.service
    changed = service.task_definition != before_task_definition
    if changed or forced:
        replacement = simulator_events.new_deployment(
            service, service.task_definition, rt.scheduler.rng
        )
        others = []
        for deployment in service.deployments:
            if deployment.get("status") == "PRIMARY":
                deployment["status"] = "ACTIVE"
                deployment["updatedAt"] = utcnow()
            others.append(deployment)
        service.deployments = [replacement, *others]
        svc.steady_announced = False
    refresh_counts(svc)
    rt.reconcile_soon(svc)
