"""Stop one ECS task (its service, if any, starts a replacement).

The task is named by id, ARN or any unique prefix of its id (as git takes hashes), and
found where it is live: in the cluster given (``CLUSTER`` or ``REGION:CLUSTER``), or in
any cluster of any region of the environment. The plan names the full id, cluster and
region, so an applied plan stops exactly that task. The stop reason names who stopped it,
so ECS's own events tell the story.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from opskit.address import locate_task
from opskit.aws import ecs as aws_ecs
from opskit.changes.plan import Access, Diff, Plan, resource_id
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.errors import UsageError

FULL_ID = 32  # an ECS task id: 32 hex digits


@dataclass(frozen=True)
class StopTaskChange:
    """Stop a task in a cluster of one environment."""

    env: str
    cluster: str
    task: str
    reason: str = "stopped with opskit"
    region: str = ""  # empty: the environment's first region

    kind: ClassVar[str] = "stop-task"
    access: ClassVar[Access] = "deploy"

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        p = plan.params
        reason = p.get("reason", "stopped with opskit")
        return cls(plan.env, p["cluster"], p["task"], reason, p.get("region", ""))

    @property
    def task_id(self) -> str:
        return self.task.rsplit("/", 1)[-1]

    def _resource(self) -> str:
        cluster = f"{self.region}:{self.cluster}" if self.region else self.cluster
        return resource_id(self.env, "ecs", "task", cluster, self.task_id)

    def _desired(self, ctx: ChangeContext) -> tuple[str | None, dict[str, Any]]:
        ecs = ctx.reader(self.env, "ecs", self.region or None)
        tasks = aws_ecs.describe_tasks(ecs, self.cluster, [self.task])
        if not tasks:
            return None, {}
        return str(tasks[0].get("desiredStatus")), dict(tasks[0])

    def located(self, ctx: ChangeContext) -> StopTaskChange:
        """This change with the task's full id, cluster and region, found where it is live."""
        full = len(self.task_id.replace("-", "")) == FULL_ID
        if self.cluster and full and ":" not in self.cluster:
            return self
        found = locate_task(
            ctx.config,
            lambda region: ctx.reader(self.env, "ecs", region),
            self.env,
            self.task,
            self.cluster or None,
        )
        region = "" if found.region == ctx.config.environment(self.env).region else found.region
        return dataclasses.replace(self, cluster=found.cluster, task=found.task, region=region)

    def plan(self, ctx: ChangeContext) -> Plan:
        found = self.located(ctx)
        if found is not self:
            return found.plan(ctx)
        status, task = self._desired(ctx)
        if status is None:
            raise UsageError(f"no task '{self.task_id}' in {self.env}/{self.cluster}")
        group = task.get("group", "")
        diffs = [Diff(self._resource(), "desiredStatus", status, "STOPPED")]
        environment = ctx.config.environment(self.env)
        where = f"{self.region}:{self.cluster}" if self.region else self.cluster
        return Plan(
            change=self.kind,
            summary=f"stop task {self.task_id} ({group}) in {self.env}/{where}",
            env=self.env,
            account_id=environment.account_id,
            region=self.region or environment.region,
            access=self.access,
            diffs=tuple(d for d in diffs if d.before != d.after),
            params={
                "cluster": self.cluster,
                "task": self.task_id,
                "reason": self.reason,
                **({"region": self.region} if self.region else {}),
            },
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        return {f"{self._resource()}#desiredStatus": self._desired(ctx)[0]}

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        ecs = ctx.writer(self.env, "ecs", self.region or None)
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
