"""Draining: set the deregistration delay of many target groups in one change.

The classic "set the ELB draining timeout to 60 seconds everywhere": the plan lists every
target group of the environment, in every region it runs in (a group outside the first
region is keyed ``REGION:NAME``), or those whose name matches a filter, whose delay is
not already the target, before -> after; apply sets each one. If a call fails midway, the
groups already changed are put back before the error is raised, so the change is whole
or not at all.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from opskit.aws import elbv2 as aws_elbv2
from opskit.changes.plan import Access, Diff, Plan, resource_id
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.errors import OpskitError, UsageError

FIELD = "deregistration_delay"
MAX_SECONDS = 3600


@dataclass(frozen=True)
class DrainingChange:
    """Set the deregistration delay (seconds) on the target groups of one environment."""

    env: str
    seconds: int
    match: tuple[str, ...] = ()

    kind: ClassVar[str] = "draining"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        p = plan.params
        return cls(plan.env, int(p["seconds"]), tuple(p.get("match", ())))

    def plan(self, ctx: ChangeContext) -> Plan:
        if not 0 <= self.seconds <= MAX_SECONDS:
            raise UsageError(f"--seconds {self.seconds}: must be 0..{MAX_SECONDS}")
        environment = ctx.config.environment(self.env)
        groups: dict[str, str] = {}  # resource -> ARN
        for region in environment.regions:
            elb = ctx.reader(self.env, "elbv2", region)
            where = "" if region == environment.region else f"{region}:"
            groups.update(
                (self._resource(where + g["TargetGroupName"]), g["TargetGroupArn"])
                for g in aws_elbv2.target_groups(elb)
                if not self.match
                or any(fnmatch.fnmatch(g["TargetGroupName"], m) for m in self.match)
            )
        if not groups:
            raise UsageError(f"no target group in {self.env} matches {', '.join(self.match)}")
        diffs = []
        for resource, arn in sorted(groups.items()):
            before = aws_elbv2.deregistration_delay(self._client(ctx, arn), arn)
            if before != self.seconds:
                diffs.append(Diff(resource, FIELD, before, self.seconds))
        arns = {d.resource: groups[d.resource] for d in diffs}
        return Plan(
            change=self.kind,
            summary=(
                f"set draining to {self.seconds}s on {len(diffs)} of {len(groups)} "
                f"target groups in {self.env}"
            ),
            env=self.env,
            account_id=environment.account_id,
            region=environment.region,
            access=self.access,
            diffs=tuple(diffs),
            params={"seconds": self.seconds, "match": list(self.match), "arns": arns},
        )

    def _resource(self, name: str) -> str:
        return resource_id(self.env, "elbv2", "targetgroup", name)

    def _client(self, ctx: ChangeContext, arn: str, write: bool = False) -> Any:
        """A client in the region the target group's ARN names."""
        region = arn.split(":")[3] if arn.count(":") > 3 else None
        return (ctx.writer if write else ctx.reader)(self.env, "elbv2", region or None)

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        arns = plan.params["arns"]
        return {
            d.key: aws_elbv2.deregistration_delay(
                self._client(ctx, arns[d.resource]), arns[d.resource]
            )
            for d in plan.diffs
        }

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        arns = plan.params["arns"]
        done: list[Diff] = []

        def put(diff: Diff, seconds: int) -> None:
            arn = arns[diff.resource]
            aws_elbv2.set_deregistration_delay(self._client(ctx, arn, True), arn, seconds)

        try:
            for diff in plan.diffs:
                put(diff, int(diff.after))
                done.append(diff)
        except OpskitError as error:
            for diff in reversed(done):
                put(diff, int(diff.before))
            put_back = f"{error} (the {len(done)} groups already changed were put back)"
            raise type(error)(put_back) from None
        ctx.progress(f"{self.env}: draining {self.seconds}s set on {len(done)} target groups")
        return Applied({"target_groups": len(done)})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        live = self.live(ctx, plan)
        wrong = [d.resource for d in plan.diffs if live[d.key] != d.after]
        if wrong:
            return Result("failed", f"draining not set on {', '.join(wrong)}", applied.data)
        return Result("applied", plan.summary, applied.data)
