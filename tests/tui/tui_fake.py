"""A ``Source`` serving the hand-built estate of ``tui_sample``: deterministic screens, no AWS.

Environments can be made to fail (``errors``) or be denied; plans and applies are recorded
so tests can check what the app asked for.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import tui_sample as sample

from opskit.audit import ChangeEntry, changes
from opskit.changes.plan import Diff, Plan
from opskit.errors import AwsError
from opskit.estate import (
    ContainerMetrics,
    ContainerUsage,
    EnvironmentState,
    ServiceState,
    Snapshot,
    TargetGroupState,
    TaskState,
)
from tui.source import ActionKind, ActionRequest, LogBatch, LogLine, Outcome, Progress


def journal_records() -> list[dict[str, Any]]:
    """Two finished changes and a refusal, as the journal would hold them."""

    def record(
        kind: str, ident: str, change: str, env: str, minutes: int, **extra: Any
    ) -> dict[str, Any]:
        at = (sample.NOW - dt.timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")
        return {
            "type": kind,
            "change_id": ident,
            "change": change,
            "summary": f"{change} api in {env}",
            "at": at,
            "who": {"user": "alice"},
            "where": {"env": env},
            "how": {"front_end": "cli"},
            **extra,
        }

    return [
        record("intent", "c1", "scale", "stage", 50),
        record("outcome", "c1", "scale", "stage", 49, outcome="applied", detail="desired 2 -> 3"),
        record("intent", "c2", "deploy", "dev", 30),
        record("outcome", "c2", "deploy", "dev", 25, outcome="rolled_back", detail="tasks crashed"),
        record(
            "outcome", "c3", "restart", "prod", 10, outcome="refused", detail="prod is protected"
        ),
    ]


class FakeSource:
    """Fixed data; records plans and applies."""

    def __init__(
        self,
        errors: Mapping[str, str] | None = None,
        raises: Mapping[str, str] | None = None,
        outcome: str = "applied",
    ) -> None:
        self.errors = dict(errors or {})
        self.raises = dict(raises or {})
        self.outcome = outcome
        self.planned: list[ActionRequest] = []
        self.applied: list[tuple[Plan, str | None]] = []
        self.calls = 0
        self.expired: list[str | None] = []
        self.insights_off: set[str] = set()
        self.containers_error = ""

    def connect(self) -> str:
        return "sandbox user alice"

    def overview(self, env: str) -> Snapshot:
        self.calls += 7
        if env in self.raises:
            raise AwsError(self.raises[env])
        if env in self.errors:
            return sample.snapshot(sample.failed(env, self.errors[env]))
        return sample.snapshot(sample.environment(env))

    def partial(self, env: str) -> bool:
        return False

    def expire(self, env: str | None = None) -> None:
        self.expired.append(env)

    def detail(self, env: str, service: str) -> ServiceState:
        self.calls += 5
        service = service.rpartition("/")[2]  # CLUSTER/SERVICE: the sample has one of each
        found = sample.environment(env, service).service(service)
        assert found is not None
        return found

    def targets(self, env: EnvironmentState) -> tuple[TargetGroupState, ...]:
        """Every group of the environment's services, draining as the sample's detail has it."""
        self.calls += 2
        groups = {tg.arn: tg for _, s in env.services() for tg in s.target_groups}
        return tuple(dataclasses.replace(g, deregistration_delay=300) for g in groups.values())

    def raw(self, env: str, service: str, cluster: str, task: str | None) -> Any:
        self.calls += 2
        if task:
            return {"taskArn": task, "lastStatus": "RUNNING"}
        return {"service": {"serviceName": service, "clusterArn": cluster}}

    def logs(self, env: str, service: str, task: str | None, cursor: Any) -> LogBatch:
        start = int(cursor or 0)
        lines = tuple(
            LogLine(
                sample.NOW + dt.timedelta(seconds=i),
                task or f"{env[:1]}{service[:3]}0{i % 2}" + "0" * 20,
                f"GET /healthz 200 {i}" if i % 3 else f"ERROR upstream timeout {i}",
            )
            for i in range(start, start + 6)
        )
        return LogBatch(lines if start < 12 else (), start + (6 if start < 12 else 0))

    def container_metrics(
        self, env: str, cluster: str, tasks: Sequence[TaskState]
    ) -> ContainerMetrics:
        """Fixed figures (CPU 100 of 256 units, memory 300 of 512 MiB); none for clusters
        in ``insights_off``; ``containers_error`` raised when set."""
        self.calls += 2
        if self.containers_error:
            raise AwsError(self.containers_error)
        if cluster in self.insights_off:
            return ContainerMetrics(
                cluster, "disabled", note=f"Container Insights off for cluster {cluster}"
            )
        usage = tuple(
            ContainerUsage(t.id, c.name, 100.0, 256.0, 39.1, 300.0, 512.0, 58.6)
            for t in tasks
            for c in t.containers
        )
        return ContainerMetrics(cluster, "enhanced", usage)

    def changes(self, limit: int) -> Sequence[ChangeEntry]:
        return changes(journal_records())[-limit:]

    def spend(self) -> Mapping[str, float] | None:
        return {"dev": 412.0, "stage": 1380.5, "prod": 6420.0}

    def plan(self, request: ActionRequest) -> Plan:
        self.planned.append(request)
        resource = f"{request.env}/ecs/service/{request.service}"
        after: dict[ActionKind, tuple[str, Any, Any]] = {
            ActionKind.scale: ("desired", 4, request.params.get("count")),
            ActionKind.restart: ("deployment", "ecs-svc/1", "new"),
            ActionKind.deploy: ("image", "1.42.0", request.params.get("tag")),
            ActionKind.rollback: (
                "task_definition",
                f"{request.service}:7",
                f"{request.service}:6",
            ),
            ActionKind.stop_task: ("task", "RUNNING", "STOPPED"),
            ActionKind.draining: ("deregistration_delay", 300, request.params.get("seconds")),
            ActionKind.batch: ("desiredCount", 1, request.params.get("count")),
        }
        field, before, value = after[request.kind]
        return Plan(
            change=request.kind.value,
            summary=request.title,
            env=request.env,
            account_id=sample.ACCOUNTS[request.env],
            region="eu-west-1",
            access="deploy",
            diffs=(Diff(resource, field, before, value),),
            id="plan00000001",
            created_at="2026-03-02T14:30:00.000Z",
        )

    def apply(self, plan: Plan, confirm: str | None, progress: Progress) -> Outcome:
        self.applied.append((plan, confirm))
        progress("waiting for steady state")
        return Outcome(self.outcome, "done" if self.outcome == "applied" else "it broke", plan.id)

    def api_calls(self) -> int:
        return self.calls
