"""Scale, restart and roll back one ECS service.

- scale: set the desired count, within the bounds environments.toml gives the service in
  that environment (``size.ENV.min`` / ``max``), else within its Application Auto Scaling
  target's min/max, else unbounded (the plan says "no bounds configured"); wait.

Every service is found where it is live, in any region of the environment, by any address
(``SERVICE``, ``CLUSTER/SERVICE``, ``REGION:CLUSTER/SERVICE``): the catalog is optional.
- restart: force a new deployment of the same revision (every task replaced); wait.
- rollback: switch to the previous ACTIVE revision of the family, or a named one; wait,
  and on failure switch back to the revision it ran before (``rolled_back``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from opskit.aws import autoscaling as aws_autoscaling
from opskit.aws import ecs as aws_ecs
from opskit.changes.deploy import task_definition_values
from opskit.changes.plan import Access, Diff, Plan
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.changes.rollout import primary_deployment, settle_or_roll_back, started, switch
from opskit.changes.targets import ServiceRef, catalog_name, locate_ref, plan_region
from opskit.changes.waiting import Watch, short_td, wait_settled
from opskit.errors import UsageError

CONFIGURED = "the configured bounds"
AAS_BOUNDS = "its Application Auto Scaling target"
NO_BOUNDS = "no bounds configured (none in environments.toml, no Application Auto Scaling target)"


def _plan(
    change: Any, ctx: ChangeContext, summary: str, diffs: list[Diff], notes: tuple[str, ...] = ()
) -> Plan:
    environment = ctx.config.environment(change.env)
    return Plan(
        change=change.kind,
        summary=summary,
        env=change.env,
        account_id=environment.account_id,
        region=plan_region(environment.region, [d.resource for d in diffs]),
        access=change.access,
        diffs=tuple(diffs),
        params=change.params(),
        notes=notes,
    )


def _service(ctx: ChangeContext, ref: ServiceRef) -> dict[str, Any]:
    ecs = ctx.reader(ref.env, "ecs", ref.where)
    return dict(aws_ecs.describe_service(ecs, ref.cluster, ref.service))


def scale_bounds(ctx: ChangeContext, ref: ServiceRef) -> tuple[int, int | None, str]:
    """(lowest, highest or None, where they come from) for scaling ``ref``."""
    name = catalog_name(ref, ctx.config)
    size = ctx.config.services[name].size.get(ref.env) if name else None
    if size is not None:
        return size.min, size.upper, CONFIGURED
    client = ctx.reader(ref.env, "application-autoscaling", ref.where)
    target = aws_autoscaling.service_target(client, ref.cluster, ref.service)
    if target is not None:
        return target.min_capacity, target.max_capacity, AAS_BOUNDS
    return 0, None, ""


def _wait_one(ctx: ChangeContext, ref: ServiceRef, applied: Applied, what: str) -> Result:
    if not ctx.wait:
        return Result("applied", f"{what}: started, not waited for", applied.data)
    failures, lines = wait_settled(ctx, [Watch(ref, applied.data["deployment"])])
    data = {**applied.data, "settled": {ref.resource: lines.get(ref, "")}}
    if failures:
        return Result("failed", f"{what}: {failures[ref]}", data)
    return Result("applied", f"{what}: settled ({lines.get(ref, '')})", data)


@dataclass(frozen=True)
class ScaleChange:
    """Set a service's desired count, within its configured bounds."""

    env: str
    service: str
    count: int

    kind: ClassVar[str] = "scale"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        return cls(plan.env, plan.params["service"], int(plan.params["count"]))

    def params(self) -> dict[str, Any]:
        return {"service": self.service, "count": self.count}

    def plan(self, ctx: ChangeContext) -> Plan:
        ref, service = locate_ref(ctx, self.env, self.service)
        low, high, source = scale_bounds(ctx, ref)
        if high is not None and not low <= self.count <= high:
            raise UsageError(
                f"scale {self.service} in {self.env} to {self.count}: outside {source} "
                f"{low}..{high}"
            )
        notes: tuple[str, ...] = (
            () if source == CONFIGURED else (f"bounds {low}..{high}: {source}",)
        )
        if high is None:
            notes = (NO_BOUNDS,)
        before = int(service["desiredCount"])
        diffs = (
            [Diff(ref.resource, "desiredCount", before, self.count)] if before != self.count else []
        )
        summary = f"scale {self.service} in {self.env}: {before} -> {self.count}"
        return _plan(self, ctx, summary, diffs, notes)

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        (diff,) = plan.diffs
        return {
            diff.key: int(_service(ctx, ServiceRef.from_resource(diff.resource))["desiredCount"])
        }

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        (diff,) = plan.diffs
        ref = ServiceRef.from_resource(diff.resource)
        service = aws_ecs.update_service(
            ctx.writer(ref.env, "ecs", ref.where),
            ref.cluster,
            ref.service,
            desired_count=int(diff.after),
        )
        return Applied({"deployment": primary_deployment(service)})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        ref = ServiceRef.from_resource(plan.diffs[0].resource)
        return _wait_one(ctx, ref, applied, f"scale {ref.service}")


@dataclass(frozen=True)
class RestartChange:
    """Replace every task of a service with a fresh one (forced new deployment)."""

    env: str
    service: str

    kind: ClassVar[str] = "restart"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        return cls(plan.env, plan.params["service"])

    def params(self) -> dict[str, Any]:
        return {"service": self.service}

    def plan(self, ctx: ChangeContext) -> Plan:
        ref, service = locate_ref(ctx, self.env, self.service)
        td = short_td(service["taskDefinition"])
        diff = Diff(ref.resource, "deployment", primary_deployment(service), f"new ({td}, forced)")
        return _plan(self, ctx, f"restart {self.service} in {self.env} ({td})", [diff])

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        (diff,) = plan.diffs
        return {
            diff.key: primary_deployment(_service(ctx, ServiceRef.from_resource(diff.resource)))
        }

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        ref = ServiceRef.from_resource(plan.diffs[0].resource)
        service = aws_ecs.update_service(
            ctx.writer(ref.env, "ecs", ref.where),
            ref.cluster,
            ref.service,
            force_new_deployment=True,
        )
        return Applied({"deployment": primary_deployment(service)})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        ref = ServiceRef.from_resource(plan.diffs[0].resource)
        return _wait_one(ctx, ref, applied, f"restart {ref.service}")


@dataclass(frozen=True)
class RollbackChange:
    """Switch a service to its previous task definition revision, or a named one."""

    env: str
    service: str
    revision: int | None = None

    kind: ClassVar[str] = "rollback"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        return cls(plan.env, plan.params["service"], plan.params.get("revision"))

    def params(self) -> dict[str, Any]:
        return {"service": self.service, "revision": self.revision}

    def plan(self, ctx: ChangeContext) -> Plan:
        ref, service = locate_ref(ctx, self.env, self.service)
        reader = ctx.reader(self.env, "ecs", ref.where)
        current_arn = service["taskDefinition"]
        current, _ = aws_ecs.describe_task_definition(reader, current_arn)
        target_arn = self._target(reader, current)
        target, _ = aws_ecs.describe_task_definition(reader, target_arn)
        diffs = [Diff(ref.resource, "taskDefinition", current_arn, target_arn)]
        before = {c["name"]: c["image"] for c in current["containerDefinitions"]}
        for container in target["containerDefinitions"]:
            name = container["name"]
            if before.get(name) != container["image"]:
                diffs.append(
                    Diff(ref.resource, f"image:{name}", before.get(name), container["image"])
                )
        moves = f"{short_td(current_arn)} -> {short_td(target_arn)}"
        summary = f"roll back {self.service} in {self.env}: {moves}"
        return _plan(self, ctx, summary, diffs)

    def _target(self, reader: Any, current: Mapping[str, Any]) -> str:
        family, revision = current["family"], int(current["revision"])
        active = aws_ecs.family_revisions(reader, family)
        if self.revision is not None:
            if self.revision == revision:
                raise UsageError(f"{self.service} already runs {family}:{revision}")
            named = [arn for arn in active if int(arn.rsplit(":", 1)[1]) == self.revision]
            if self.revision < 1 or not named:
                known = ", ".join(arn.rsplit(":", 1)[1] for arn in active[:10]) or "none"
                raise UsageError(
                    f"--revision {self.revision}: {family} has no ACTIVE revision "
                    f"{self.revision} (newest: {known})"
                )
            return named[0]
        older = [arn for arn in active if int(arn.rsplit(":", 1)[1]) < revision]
        if not older:
            raise UsageError(f"{self.service}: no ACTIVE revision of {family} before {revision}")
        return older[0]

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        ref = ServiceRef.from_resource(plan.diffs[0].resource)
        reader = ctx.reader(ref.env, "ecs", ref.where)
        td, _ = aws_ecs.describe_task_definition(reader, _service(ctx, ref)["taskDefinition"])
        values = task_definition_values({ref: td})
        return {d.key: values.get(d.key) for d in plan.diffs}

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        diff = plan.diffs[0]
        ref = ServiceRef.from_resource(diff.resource)
        deployment = switch(ctx, ref, diff.after)
        return Applied({"services": [started(ref, diff.before, diff.after, deployment)]})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        return settle_or_roll_back(ctx, applied, f"rollback {self.service}")
