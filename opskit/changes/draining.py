"""Draining: set the deregistration delay of many target groups in one change.

The classic "set the ELB draining timeout to 60 seconds everywhere": the plan lists every
target group of the environment (or those whose name matches a filter) whose delay is
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
        elb = ctx.reader(self.env, "elbv2")
        groups = {
            g["TargetGroupName"]: g["TargetGroupArn"]
            for g in aws_elbv2.target_groups(elb)
            if not self.match or any(fnmatch.fnmatch(g["TargetGroupName"], m) for m in self.match)
        }
        if not groups:
            raise UsageError(f"no target group in {self.env} matches {', '.join(self.match)}")
        diffs = []
        for name, arn in sorted(groups.items()):
            before = aws_elbv2.deregistration_delay(elb, arn)
            if before != self.seconds:
                diffs.append(Diff(self._resource(name), FIELD, before, self.seconds))
        environment = ctx.config.environment(self.env)
        arns = {d.resource: groups[d.resource.rsplit("/", 1)[-1]] for d in diffs}
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

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        elb = ctx.reader(self.env, "elbv2")
        return {
            d.key: aws_elbv2.deregistration_delay(elb, plan.params["arns"][d.resource])
            for d in plan.diffs
        }

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        elb = ctx.writer(self.env, "elbv2")
        arns = plan.params["arns"]
        done: list[Diff] = []
        try:
            for diff in plan.diffs:
                aws_elbv2.set_deregistration_delay(elb, arns[diff.resource], int(diff.after))
                done.append(diff)
        except OpskitError as error:
            for diff in reversed(done):
                aws_elbv2.set_deregistration_delay(elb, arns[diff.resource], int(diff.before))
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
