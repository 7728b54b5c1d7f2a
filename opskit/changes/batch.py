"""One restart or scale over several services of one environment, as one plan.

Each service's diffs are what its own change (``RestartChange``, ``ScaleChange``) would
plan; the batch applies them one after the other and waits for all of them together. A
failed service fails the batch (its detail names which); what the others did stays done
(the engine's all-or-nothing rollback across services is another change's business).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Self

from opskit.changes.plan import Access, Plan
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.changes.service_changes import RestartChange, ScaleChange
from opskit.changes.targets import ServiceRef, plan_region
from opskit.changes.waiting import Watch, wait_settled
from opskit.errors import UsageError

ACTIONS = ("restart", "scale")


@dataclass(frozen=True)
class BatchChange:
    """``action`` (restart | scale to ``count``) on every one of ``services`` in ``env``."""

    env: str
    action: str
    services: tuple[str, ...]
    count: int | None = None

    kind: ClassVar[str] = "batch"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        params = plan.params
        count = params.get("count")
        return cls(
            plan.env,
            str(params["action"]),
            tuple(params["services"]),
            int(count) if count is not None else None,
        )

    def params(self) -> dict[str, Any]:
        return {"action": self.action, "services": list(self.services), "count": self.count}

    def _one(self, service: str) -> RestartChange | ScaleChange:
        if self.action == "restart":
            return RestartChange(self.env, service)
        if self.action == "scale" and self.count is not None:
            return ScaleChange(self.env, service, self.count)
        raise UsageError(f"batch: unknown action '{self.action}' (known: restart, scale COUNT)")

    def _parts(self, plan: Plan) -> list[tuple[RestartChange | ScaleChange, Plan]]:
        """Each service's own change with the part of ``plan`` that is its."""
        parts = []
        for service in dict.fromkeys(self.services):
            mine = tuple(
                d for d in plan.diffs if ServiceRef.from_resource(d.resource).service == service
            )
            if mine:
                parts.append((self._one(service), _with(plan, mine, service, self)))
        return parts

    def plan(self, ctx: ChangeContext) -> Plan:
        if not self.services:
            raise UsageError("batch: mark at least one service")
        plans = [self._one(service).plan(ctx) for service in dict.fromkeys(self.services)]
        diffs = tuple(d for p in plans for d in p.diffs)
        what = f"scale to {self.count}" if self.action == "scale" else "restart"
        names = ", ".join(dict.fromkeys(self.services))
        environment = ctx.config.environment(self.env)
        return Plan(
            change=self.kind,
            summary=f"{what} {len(plans)} services in {self.env}: {names}",
            env=self.env,
            account_id=environment.account_id,
            region=plan_region(environment.region, [d.resource for d in diffs]),
            access=self.access,
            diffs=diffs,
            params=self.params(),
            notes=tuple(p.summary for p in plans),
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        values: dict[str, Any] = {}
        for change, part in self._parts(plan):
            values.update(change.live(ctx, part))
        return values

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        deployments = {}
        for change, part in self._parts(plan):
            deployments[part.diffs[0].resource] = change.apply(ctx, part).data["deployment"]
        return Applied({"deployments": deployments})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        started: dict[str, str] = applied.data["deployments"]
        if not ctx.wait:
            return Result(
                "applied", f"{len(started)} services: started, not waited for", applied.data
            )
        watches = [Watch(ServiceRef.from_resource(r), d) for r, d in started.items()]
        failures, lines = wait_settled(ctx, watches)
        data = {**applied.data, "settled": {ref.resource: line for ref, line in lines.items()}}
        if failures:
            which = "; ".join(f"{ref.service}: {why}" for ref, why in failures.items())
            return Result("failed", f"{self.action}: {which}", data)
        return Result("applied", f"{self.action}: {len(started)} services settled", data)


def _with(plan: Plan, diffs: tuple[Any, ...], service: str, batch: BatchChange) -> Plan:
    """``plan`` narrowed to one service's diffs, with that service's own params."""
    params: dict[str, Any] = {"service": service}
    if batch.action == "scale":
        params["count"] = batch.count
    return replace(plan, change=batch.action, diffs=diffs, params=params)
