"""Stop one ECS task (its service, if any, starts a replacement).

The task is named by id or ARN and found in a cluster (given, or the cluster of the
service given). The stop reason names who stopped it, so ECS's own events tell the story.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from opskit.aws import ecs as aws_ecs
from opskit.changes.plan import Access, Diff, Plan, resource_id
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.errors import UsageError


@dataclass(frozen=True)
class StopTaskChange:
    """Stop a task in a cluster of one environment."""

    env: str
    cluster: str
    task: str
    reason: str = "stopped with opskit"

    kind: ClassVar[str] = "stop-task"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        p = plan.params
        return cls(plan.env, p["cluster"], p["task"], p.get("reason", "stopped with opskit"))

    @property
    def task_id(self) -> str:
        return self.task.rsplit("/", 1)[-1]

    def _resource(self) -> str:
        return resource_id(self.env, "ecs", "task", self.cluster, self.task_id)

    def _desired(self, ctx: ChangeContext) -> tuple[str | None, dict[str, Any]]:
        tasks = aws_ecs.describe_tasks(ctx.reader(self.env, "ecs"), self.cluster, [self.task])
        if not tasks:
            return None, {}
        return str(tasks[0].get("desiredStatus")), dict(tasks[0])

    def plan(self, ctx: ChangeContext) -> Plan:
        status, task = self._desired(ctx)
        if status is None:
            raise UsageError(f"no task '{self.task_id}' in {self.env}/{self.cluster}")
        group = task.get("group", "")
        diffs = [Diff(self._resource(), "desiredStatus", status, "STOPPED")]
        environment = ctx.config.environment(self.env)
        return Plan(
            change=self.kind,
            summary=f"stop task {self.task_id} ({group}) in {self.env}/{self.cluster}",
            env=self.env,
            account_id=environment.account_id,
            region=environment.region,
            access=self.access,
            diffs=tuple(d for d in diffs if d.before != d.after),
            params={"cluster": self.cluster, "task": self.task_id, "reason": self.reason},
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        return {f"{self._resource()}#desiredStatus": self._desired(ctx)[0]}

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        ecs = ctx.writer(self.env, "ecs")
        task = aws_ecs.stop_task(ecs, self.cluster, self.task_id, self.reason)
        return Applied({"lastStatus": task.get("lastStatus"), "group": task.get("group")})

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        status, task = self._desired(ctx)
        if status != "STOPPED":
            return Result("failed", f"task {self.task_id} still wants {status}", applied.data)
        return Result(
            "applied",
            f"task {self.task_id} stopping (now {task.get('lastStatus')})",
            {**applied.data, "lastStatus": task.get("lastStatus")},
        )
