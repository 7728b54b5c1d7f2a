"""Switching services to a task definition, waiting, and switching back on failure.

Deploy (to a new revision) and rollback (to an older one) are the same move: update the
services, wait for them together, and if any fails, put every one back on the revision
it ran before and wait for that. The result says ``applied``, ``rolled_back`` (the estate
is as it was) or ``failed`` (even the way back did not settle).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

from opskit.aws import ecs as aws_ecs
from opskit.changes.policy import max_percent
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.changes.targets import ServiceRef
from opskit.changes.waiting import Watch, short_td, wait_settled

if TYPE_CHECKING:
    from types_boto3_ecs.type_defs import DeploymentConfigurationTypeDef


def switch(ctx: ChangeContext, ref: ServiceRef, task_definition: str) -> str:
    """Point ``ref`` at ``task_definition``; return the id of the deployment ECS started.

    With a blast-radius limit (``[changes.policy.ENV] max_replace_share``) the rollout's
    ``maximumPercent`` is set so that no more than that share of tasks is replaced at once,
    and ``minimumHealthyPercent`` to 100 (none stopped before its replacement is healthy).
    """
    ecs = ctx.writer(ref.env, "ecs", ref.where)
    configuration: DeploymentConfigurationTypeDef | None = None
    if ref.env in ctx.config.changes.policy:
        reader = ctx.reader(ref.env, "ecs", ref.where)
        live = aws_ecs.describe_service(reader, ref.cluster, ref.service)
        limit = max_percent(ctx.config, ref.env, int(live.get("desiredCount", 0)))
        if limit is not None:
            current = dict(live.get("deploymentConfiguration") or {})
            configuration = cast(
                "DeploymentConfigurationTypeDef",
                {**current, "maximumPercent": limit, "minimumHealthyPercent": 100},
            )
    service = aws_ecs.update_service(
        ecs,
        ref.cluster,
        ref.service,
        task_definition=task_definition,
        deployment_configuration=configuration,
    )
    return primary_deployment(service)


def primary_deployment(service: Mapping[str, Any]) -> str:
    """The id of a described service's PRIMARY deployment ('' when it has none)."""
    for deployment in service.get("deployments", []):
        if deployment.get("status") == "PRIMARY":
            return str(deployment.get("id", ""))
    return ""


def started(ref: ServiceRef, previous: str, new: str, deployment: str) -> dict[str, str]:
    """What apply records per service, for verify and the journal."""
    return {"resource": ref.resource, "previous": previous, "new": new, "deployment": deployment}


def settle_or_roll_back(ctx: ChangeContext, applied: Applied, what: str) -> Result:
    """Wait for every service in ``applied.data["services"]``; roll all back on failure."""
    services = applied.data["services"]
    if not ctx.wait:
        return Result("applied", f"{what}: started, not waited for", data=applied.data)
    watches = [Watch(ServiceRef.from_resource(s["resource"]), s["deployment"]) for s in services]
    failures, lines = wait_settled(ctx, watches)
    settled = {ref.resource: line for ref, line in lines.items()}
    if not failures:
        news = ", ".join(short_td(s["new"]) for s in services)
        live = "; ".join(f"{ref.label}: {line}" for ref, line in lines.items())
        data = {**applied.data, "settled": settled}
        return Result("applied", f"{what}: settled on {news} ({live})", data=data)
    why = "; ".join(f"{ref.label}: {message}" for ref, message in failures.items())
    ctx.progress(f"{what} failed ({why}); rolling back")
    back = [_restore(ctx, ServiceRef.from_resource(s["resource"]), s["previous"]) for s in services]
    not_back, back_lines = wait_settled(ctx, back)
    failed = {ref.resource: m for ref, m in failures.items()}
    settled = {ref.resource: line for ref, line in back_lines.items()}
    data = {**applied.data, "failures": failed, "settled": settled}
    if not_back:
        left = "; ".join(f"{ref.label}: {message}" for ref, message in not_back.items())
        return Result("failed", f"{what} failed ({why}); rollback did not settle ({left})", data)
    olds = ", ".join(short_td(s["previous"]) for s in services)
    return Result("rolled_back", f"{what} failed ({why}); rolled back to {olds}", data)


def _restore(ctx: ChangeContext, ref: ServiceRef, previous: str) -> Watch:
    """Put ``ref`` back on ``previous`` unless ECS already did (circuit breaker)."""
    ecs = ctx.reader(ref.env, "ecs", ref.where)
    service = aws_ecs.describe_service(ecs, ref.cluster, ref.service)
    primary = next((d for d in service["deployments"] if d.get("status") == "PRIMARY"), None)
    if (
        primary
        and primary["taskDefinition"] == previous
        and primary.get("rolloutState") != "FAILED"
    ):
        return Watch(ref, str(primary["id"]))
    return Watch(ref, switch(ctx, ref, previous))
