"""``monitors apply`` as a Change: Datadog monitors of one environment made to match the policy.

Planned like every change (diffs before -> after, one per monitor, resource
``<env>/datadog/monitor/<identity>``), guarded, locked and journaled by the engine. Apply
validates every monitor it will create or update with Datadog first (nothing is touched
if one is invalid), then creates, updates and (with ``prune``) deletes; verify reads the
monitors back and checks that a new plan would be empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from opskit.changes.plan import Access, Diff, Plan, resource_id
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.config.model import Config
from opskit.datadog import monitor_api
from opskit.datadog.client import DatadogClient
from opskit.datadog.monitors import (
    MonitorPlan,
    MonitorStep,
    comparable,
    index_live,
    live_value,
    plan_monitors,
)
from opskit.datadog.policy import MonitorSpec, expand
from opskit.errors import OpskitError, UsageError

FIELD = "monitor"


def _resource(env: str, key: str) -> str:
    return resource_id(env, "datadog", "monitor", key)


def _key(diff: Diff) -> str:
    return diff.resource.split("/datadog/monitor/", 1)[1]


class MonitorsChange:
    """Make one environment's managed Datadog monitors match the monitor policy."""

    kind: ClassVar[str] = "datadog-monitors"
    access: ClassVar[Access] = "deploy"

    def __init__(self, env: str, prune: bool = False) -> None:
        self.env = env
        self.prune = prune
        self._client: DatadogClient | None = None

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        return cls(str(plan.params["env"]), bool(plan.params.get("prune", False)))

    def client(self, config: Config) -> DatadogClient:
        if self._client is None:
            self._client = DatadogClient.from_settings(config.datadog)
        return self._client

    def monitor_plan(self, config: Config) -> MonitorPlan:
        """The monitor-level plan (creates, updates, deletes, untracked) for ``env``."""
        desired = expand(config, [self.env])
        live = monitor_api.list_managed(self.client(config))
        tag = config.datadog.monitors.identity_tag
        return plan_monitors(desired, live, tag, envs=[self.env], prune=self.prune)

    def plan(self, ctx: ChangeContext) -> Plan:
        env = ctx.config.environment(self.env)
        if not ctx.config.datadog.enabled:
            raise UsageError("Datadog is not enabled: set [datadog] enabled = true")
        steps = self.monitor_plan(ctx.config).steps
        counts = {a: sum(1 for s in steps if s.action == a) for a in ("create", "update", "delete")}
        summary = (
            f"Datadog monitors in {self.env}: {counts['create']} to create, "
            f"{counts['update']} to update, {counts['delete']} to delete"
        )
        return Plan(
            change=self.kind,
            summary=summary,
            env=self.env,
            account_id=env.account_id,
            region=env.region,
            access=self.access,
            diffs=tuple(_diff(self.env, s) for s in steps),
            params={
                "env": self.env,
                "prune": self.prune,
                "services": sorted(
                    {s.identity.split(".")[1] for s in steps if "#" not in s.identity}
                ),
            },
        )

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        live = monitor_api.list_managed(self.client(ctx.config))
        indexed = index_live(live, ctx.config.datadog.monitors.identity_tag)
        out: dict[str, Any] = {}
        for diff in plan.diffs:
            found = indexed.get(_key(diff))
            out[diff.key] = live_value(found) if found is not None else None
        return out

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        client = self.client(ctx.config)
        specs = {s.identity: s for s in expand(ctx.config, [self.env])}
        work: list[tuple[Diff, MonitorSpec | None]] = []
        for diff in plan.diffs:
            spec = specs.get(_key(diff)) if diff.after is not None else None
            if diff.after is not None and (spec is None or comparable(spec) != diff.after):
                raise UsageError(
                    f"{diff.resource}: the monitor policy changed since this plan "
                    "was made; plan again"
                )
            work.append((diff, spec))
        for _, spec in work:
            if spec is not None:
                monitor_api.validate(client, spec)
        done: dict[str, list[Any]] = {"created": [], "updated": [], "deleted": []}
        for diff, spec in work:
            try:
                if spec is not None and diff.before is None:
                    action, monitor_id = "created", int(monitor_api.create(client, spec)["id"])
                elif spec is not None:
                    action, monitor_id = "updated", int(diff.before["id"])
                    monitor_api.update(client, monitor_id, spec)
                else:
                    action, monitor_id = "deleted", int(diff.before["id"])
                    monitor_api.delete(client, monitor_id)
            except OpskitError as error:
                raise type(error)(
                    f"{error} (after {_count(done)} of {len(work)} monitor changes)"
                ) from None
            done[action].append(monitor_id)
            ctx.progress(f"{_key(diff)}: {action} (monitor {monitor_id})")
        return Applied(done)

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        live = self.live(ctx, plan)
        wrong = []
        for diff in plan.diffs:
            now = live.get(diff.key)
            if diff.after is None:
                if now is not None:
                    wrong.append(f"{_key(diff)} still exists")
            elif now is None or {k: v for k, v in now.items() if k != "id"} != diff.after:
                wrong.append(f"{_key(diff)} does not match the policy")
        counts = ", ".join(f"{len(v)} {k}" for k, v in applied.data.items())
        if wrong:
            more = f" (and {len(wrong) - 1} more)" if len(wrong) > 1 else ""
            return Result("failed", f"{wrong[0]}{more}", data=applied.data)
        return Result("applied", f"Datadog monitors in {self.env}: {counts}", data=applied.data)


def _count(done: Mapping[str, list[Any]]) -> int:
    return sum(len(v) for v in done.values())


def _diff(env: str, step: MonitorStep) -> Diff:
    return Diff(_resource(env, step.identity), FIELD, step.before, step.after)
