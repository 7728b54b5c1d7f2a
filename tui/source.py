"""What the dashboard asks of the library, as one small interface.

Every blocking call the TUI makes goes through a ``Source``, always from a worker thread.
``tui.library.LibrarySource`` implements it with opskit itself (workspace, estate
collector, logs, change engine, audit journal, costs); tests hand the app a source that
serves fixed snapshots, so screens can be driven and photographed deterministically.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from opskit.audit import ChangeEntry
from opskit.changes.plan import Plan
from opskit.estate import (
    ContainerMetrics,
    EnvironmentState,
    ServiceState,
    Snapshot,
    TargetGroupState,
    TaskState,
)

Progress = Callable[[str], None]


class ActionKind(StrEnum):
    """The changes the dashboard can ask the engine for."""

    scale = "scale"
    restart = "restart"
    deploy = "deploy"
    rollback = "rollback"
    stop_task = "stop-task"
    draining = "draining"
    batch = "batch"

    promote = "promote"


@dataclass(frozen=True)
class ActionRequest:
    """One change the user asked for, before it is planned.

    ``service`` is empty for environment-wide changes (draining); ``params`` holds what
    the user typed (``count``, ``tag``, ``revision``, ``task``, ``seconds``, ``source``).
    """

    kind: ActionKind
    env: str
    service: str = ""
    cluster: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        where = f"{self.service} in {self.env}" if self.service else self.env
        return f"{self.kind.value} {where}"


@dataclass(frozen=True)
class Outcome:
    """How an applied change ended, as the feed shows it."""

    outcome: str  # applied | failed | rolled_back | refused
    detail: str
    change_id: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome == "applied"


@dataclass(frozen=True)
class LogLine:
    """One container log line: when, which task and container, the text."""

    at: dt.datetime
    task: str
    message: str
    container: str = ""


@dataclass(frozen=True)
class LogBatch:
    """New log lines and the cursor to ask for the ones after them."""

    lines: tuple[LogLine, ...]
    cursor: Any = None


class Source(Protocol):
    """The library, as the TUI sees it. Every method blocks; call from a worker thread."""

    def connect(self) -> str:
        """Log in (start the sandbox if configured); return who we are, for the footer.

        Raises an OpskitError (ConfigError, AuthError, AwsError) when that fails.
        """
        ...

    def overview(self, env: str) -> Snapshot:
        """One environment at overview depth; a failed one carries its ``error``."""
        ...

    def partial(self, env: str) -> bool:
        """True while part of ``env`` was never read: its first read is staged (services
        first, on screen at once), and the app reads the rest straight after."""
        ...

    def expire(self, env: str | None = None) -> None:
        """Re-read every part of ``env`` (None: of all) at its next refresh, not only the
        live ones: after a change, and on ctrl+r."""
        ...

    def detail(self, env: str, service: str) -> ServiceState:
        """One service at detail depth (targets, task definition, stopped tasks, events)."""
        ...

    def targets(self, env: EnvironmentState) -> tuple[TargetGroupState, ...]:
        """``env``'s target groups with their targets and draining timeout (detail depth)."""
        ...

    def raw(self, env: str, service: str, cluster: str, task: str | None) -> Any:
        """The service (and its task definition), or one task, as AWS described it,
        secrets redacted."""
        ...

    def logs(self, env: str, service: str, task: str | None, cursor: Any) -> LogBatch:
        """Log lines after ``cursor`` (None: the last few minutes) of a service or task."""
        ...

    def container_metrics(
        self, env: str, cluster: str, tasks: Sequence[TaskState]
    ) -> ContainerMetrics:
        """The latest CPU and memory of every container of ``tasks`` (Container Insights),
        read at most once per CloudWatch period; ``note`` says why there are none."""
        ...

    def changes(self, limit: int) -> Sequence[ChangeEntry]:
        """The journal's most recent changes, newest last."""
        ...

    def spend(self) -> Mapping[str, float] | None:
        """Month-to-date spend per environment (a cached call), or None when unavailable."""
        ...

    def plan(self, request: ActionRequest) -> Plan:
        """Plan the change (reads live state, mutates nothing)."""
        ...

    def apply(self, plan: Plan, confirm: str | None, progress: Progress) -> Outcome:
        """Apply a reviewed plan through the change engine; never raises for a refusal
        or a failed change (that is the outcome), only for errors it cannot classify."""
        ...

    def api_calls(self) -> int:
        """AWS calls made so far by this process."""
        ...
