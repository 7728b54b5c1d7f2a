"""Waiting for ECS services to settle, many at once, with few calls.

Every poll describes the watched services of a cluster together (DescribeServices takes
10 names a call), so waiting for ten services costs one call per poll, not ten. A service
has settled when the deployment we started runs all its tasks, no older deployment still
runs, and its load balancer targets are healthy (read only for services that got that far).
It has failed when its rollout failed, ECS rolled it back (circuit breaker), its tasks keep
failing to start, or the wait timed out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opskit.aws import ecs as aws_ecs
from opskit.aws import elbv2 as aws_elbv2
from opskit.changes.protocol import ChangeContext
from opskit.changes.targets import ServiceRef

CRASH_THRESHOLD = 3  # failed tasks of one deployment that count as crashing (ECS: >= 3)


@dataclass(frozen=True)
class Watch:
    """A service to wait for: the deployment we started (by id) or the primary one."""

    ref: ServiceRef
    deployment_id: str | None = None


def short_td(arn: str) -> str:
    """``family:revision`` of a task definition ARN."""
    return arn.rsplit("/", 1)[-1]


def wait_steady(ctx: ChangeContext, watches: Sequence[Watch]) -> dict[ServiceRef, str]:
    """Poll until every watched service has settled or failed; return the failures.

    Reports progress on ``ctx.progress`` (one line per service whenever it changes) and
    gives up after ``ctx.timeout`` seconds.
    """
    pending = {w.ref: w for w in watches}
    failures: dict[ServiceRef, str] = {}
    said: dict[ServiceRef, str] = {}
    deadline = ctx.monotonic() + ctx.timeout
    while pending:
        states = _poll(ctx, list(pending.values()))
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
        if ctx.monotonic() >= deadline:
            for ref in pending:
                failures[ref] = f"timed out after {ctx.timeout:.0f}s ({said.get(ref, 'waiting')})"
            break
        ctx.sleep(ctx.poll_seconds)
    return failures


def _poll(ctx: ChangeContext, watches: list[Watch]) -> dict[ServiceRef, tuple[str, str]]:
    groups: dict[tuple[str, str], list[Watch]] = defaultdict(list)
    for watch in watches:
        groups[(watch.ref.env, watch.ref.cluster)].append(watch)
    states: dict[ServiceRef, tuple[str, str]] = {}
    for (env, cluster), group in groups.items():
        ecs = ctx.reader(env, "ecs")
        found = aws_ecs.describe_services(ecs, cluster, [w.ref.service for w in group])
        for watch in group:
            service = found.get(watch.ref.service)
            if service is None:
                states[watch.ref] = ("failed", "the service no longer exists")
                continue
            state, message = deployment_state(service, watch.deployment_id)
            if state == "done" and service.get("loadBalancers"):
                state, message = _targets_state(ctx, env, service, message)
            states[watch.ref] = (state, message)
    return states


def deployment_state(service: Mapping[str, Any], deployment_id: str | None) -> tuple[str, str]:
    """(``done`` | ``waiting`` | ``failed``, a line saying why) for one described service."""
    deployments = list(service.get("deployments", []))
    primary = next((d for d in deployments if d.get("status") == "PRIMARY"), None)
    ours = primary
    if deployment_id is not None:
        ours = next((d for d in deployments if d.get("id") == deployment_id), None)
    if ours is None or primary is None:
        now = short_td(primary["taskDefinition"]) if primary else "nothing"
        return "failed", f"our deployment is gone; the service now runs {now} (rolled back)"
    running, desired = int(ours.get("runningCount", 0)), int(ours.get("desiredCount", 0))
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
    settled = ours.get("rolloutState") == "COMPLETED" or (running >= desired and not old)
    return ("done" if settled and not old else "waiting"), message


def _targets_state(
    ctx: ChangeContext, env: str, service: Mapping[str, Any], message: str
) -> tuple[str, str]:
    elb = ctx.reader(env, "elbv2")
    states: list[str] = []
    for binding in service["loadBalancers"]:
        arn = binding.get("targetGroupArn")
        if arn:
            states += [t["TargetHealth"]["State"] for t in aws_elbv2.target_health(elb, arn)]
    healthy = states.count("healthy")
    waiting = [s for s in states if s in ("initial", "unhealthy", "unavailable")]
    line = f"{message}, targets {healthy}/{len(states)} healthy"
    return ("waiting" if waiting else "done"), line
