"""Waiting for ECS services to settle, many at once, with few calls.

Every poll describes the watched services of a cluster together (DescribeServices takes
10 names a call); only once a service's counts add up (one deployment, running == desired,
none pending) are its target groups (one DescribeTargetHealth each) and tasks read too
(ListTasks, DescribeTasks 100 a call; stopped ones where no target group shows them
draining), and on the last look before a timeout, so that its message has every number.
Whether a service has settled is decided by ``opskit.changes.settled`` alone. It has
failed when its rollout failed, ECS rolled it back (circuit breaker), its tasks keep
failing to start, or the wait timed out (the message then carries the live numbers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opskit.aws import ecs as aws_ecs
from opskit.aws import elbv2 as aws_elbv2
from opskit.changes.protocol import ChangeContext
from opskit.changes.settled import Settled, counts_settled, settled, short_td
from opskit.changes.targets import ServiceRef

CRASH_THRESHOLD = 3  # failed tasks of one deployment that count as crashing (ECS: >= 3)

__all__ = ["Watch", "deployment_state", "read_settled", "short_td", "wait_settled", "wait_steady"]


@dataclass(frozen=True)
class Watch:
    """A service to wait for: the deployment we started (by id) or the primary one."""

    ref: ServiceRef
    deployment_id: str | None = None


def wait_steady(ctx: ChangeContext, watches: Sequence[Watch]) -> dict[ServiceRef, str]:
    """Poll until every watched service has settled or failed; return the failures."""
    return wait_settled(ctx, watches)[0]


def wait_settled(
    ctx: ChangeContext, watches: Sequence[Watch]
) -> tuple[dict[ServiceRef, str], dict[ServiceRef, str]]:
    """Poll until every watched service has settled or failed: (failures, last lines).

    Reports progress on ``ctx.progress`` (one line per service whenever it changes) and
    gives up after ``ctx.timeout`` seconds: ``timed out after 120 s: running 1/3, …``.
    """
    pending = {w.ref: w for w in watches}
    failures: dict[ServiceRef, str] = {}
    said: dict[ServiceRef, str] = {}
    deadline = ctx.monotonic() + ctx.timeout
    while pending:
        final = ctx.monotonic() >= deadline  # the last look: read everything, for the message
        states = _poll(ctx, list(pending.values()), final)
        for ref, (state, message) in states.items():
            if said.get(ref) != message:
                ctx.progress(f"{ref.env} {ref.label}: {message}")
                said[ref] = message
            if state == "done":
                del pending[ref]
            elif state == "failed":
                failures[ref] = message
                del pending[ref]
        if not pending:
            break
        left = deadline - ctx.monotonic()
        if left <= 0:
            for ref in pending:
                failures[ref] = f"timed out after {ctx.timeout:g} s: {said.get(ref, 'waiting')}"
            break
        ctx.sleep(min(ctx.poll_seconds, left))  # the last poll falls on the deadline
    return failures, said


def _poll(
    ctx: ChangeContext, watches: list[Watch], final: bool = False
) -> dict[ServiceRef, tuple[str, str]]:
    groups: dict[tuple[str, str, str], list[Watch]] = defaultdict(list)
    for watch in watches:
        groups[(watch.ref.env, watch.ref.region, watch.ref.cluster)].append(watch)
    states: dict[ServiceRef, tuple[str, str]] = {}
    for (env, region, cluster), group in groups.items():
        ecs = ctx.reader(env, "ecs", region or None)
        found = aws_ecs.describe_services(ecs, cluster, [w.ref.service for w in group])
        for watch in group:
            service = found.get(watch.ref.service)
            if service is None:
                states[watch.ref] = ("failed", "the service no longer exists")
                continue
            state, message = deployment_state(service, watch.deployment_id)
            if state == "failed":
                states[watch.ref] = (state, message)
                continue
            now = read_settled(ctx, env, cluster, service, final, region or None)
            states[watch.ref] = ("done" if now.done else "waiting", now.line)
    return states


def read_settled(
    ctx: ChangeContext,
    env: str,
    cluster: str,
    service: Mapping[str, Any],
    final: bool = False,
    region: str | None = None,
) -> Settled:
    """Read a described service's target health and tasks, and ask ``settled``.

    While the deployments' counts say "not yet", nothing more is read (the ELB Describe
    budget is 10 calls a second per account), except on the ``final`` look before a
    timeout, so that its message carries the target states too.
    """
    counted = counts_settled(service)
    health: dict[str, list[dict[str, Any]]] = {}
    bindings = [b.get("targetGroupArn") for b in service.get("loadBalancers") or []]
    groups = list(dict.fromkeys(a for a in bindings if a))
    if groups and (counted or final):
        elb = ctx.reader(env, "elbv2", region)
        for arn in groups:
            health[arn] = [dict(t) for t in aws_elbv2.target_health(elb, arn)]
    if not counted:
        return settled(service, None, health)  # not yet; the line has the numbers read
    ecs = ctx.reader(env, "ecs", region)
    name = str(service["serviceName"])
    arns = aws_ecs.service_task_arns(ecs, cluster, name, "RUNNING")
    if not groups:  # a task being stopped behind a load balancer shows as a draining target
        arns += aws_ecs.service_task_arns(ecs, cluster, name, "STOPPED")
    tasks = aws_ecs.describe_tasks(ecs, cluster, arns) if arns else []
    return settled(service, tasks, health)


def deployment_state(service: Mapping[str, Any], deployment_id: str | None) -> tuple[str, str]:
    """(``done`` | ``waiting`` | ``failed``, why) from the deployments alone.

    ``failed`` is final (rollout FAILED, rolled back, crashing). ``done`` only says the
    deployments' counts add up; whether the service has settled is ``settled``'s answer.
    """
    deployments = list(service.get("deployments", []))
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    ours = primary
    if deployment_id is not None:
        ours = next((d for d in deployments if d.get("id") == deployment_id), None)
    if ours is None or primary is None:
        now = short_td(primary["taskDefinition"]) if primary else "nothing"
        return "failed", f"our deployment is gone; the service now runs {now} (rolled back)"
    running, desired = int(ours.get("runningCount", 0)), int(ours.get("desiredCount", 0))
    pending = int(ours.get("pendingCount", 0))
    failed = int(ours.get("failedTasks", 0))
    td = short_td(ours["taskDefinition"])
    if ours.get("rolloutState") == "FAILED":
        reason = ours.get("rolloutStateReason") or "rollout failed"
        return "failed", f"rollout of {td} FAILED: {reason}"
    if ours is not primary:
        return "failed", f"ECS rolled {td} back to {short_td(primary['taskDefinition'])}"
    if failed >= CRASH_THRESHOLD and running < desired:
        return "failed", f"tasks of {td} keep failing ({failed} failed to start)"
    old = sum(int(d.get("runningCount", 0)) for d in deployments if d is not ours)
    message = f"{running}/{desired} running on {td}"
    if old:
        message += f", {old} old still running"
    if failed:
        message += f", {failed} failed"
    counted = running == desired and not pending and len(deployments) == 1
    return ("done" if counted else "waiting"), message
