"""Messages that carry data up: from worker threads to the app, from widgets to screens.

Workers never touch widgets; they post one of these and the handler (on the event loop)
updates state. Widgets never fetch; they post what the user chose and a screen acts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.message import Message

from opskit.audit import ChangeEntry
from opskit.changes.plan import Plan
from opskit.estate import ContainerMetrics, ServiceState, Snapshot, TargetGroupState, TaskState
from tui.source import ActionRequest, LogBatch, Outcome


class Connected(Message):
    """The workspace is open: ``user`` is who we act as."""

    def __init__(self, user: str) -> None:
        super().__init__()
        self.user = user


class EnvArrived(Message):
    """A refresh of one environment finished (its errors are inside the snapshot)."""

    def __init__(self, env: str, snapshot: Snapshot, api_calls: int) -> None:
        super().__init__()
        self.env = env
        self.snapshot = snapshot
        self.api_calls = api_calls


class EnvFailed(Message):
    """A refresh of one environment raised instead of returning a snapshot."""

    def __init__(self, env: str, error: str) -> None:
        super().__init__()
        self.env = env
        self.error = error


class SpendArrived(Message):
    """Month-to-date spend per environment."""

    def __init__(self, spend: Mapping[str, float]) -> None:
        super().__init__()
        self.spend = spend


class JournalArrived(Message):
    """The journal's recent changes."""

    def __init__(self, entries: Sequence[ChangeEntry]) -> None:
        super().__init__()
        self.entries = entries


class DetailArrived(Message):
    """A detail-depth read of one service."""

    def __init__(self, service: ServiceState) -> None:
        super().__init__()
        self.service = service


class LogsArrived(Message):
    """New log lines for the logs screen."""

    def __init__(self, batch: LogBatch) -> None:
        super().__init__()
        self.batch = batch


class PlanReady(Message):
    """The engine planned a requested change."""

    def __init__(self, request: ActionRequest, plan: Plan) -> None:
        super().__init__()
        self.request = request
        self.plan = plan


class ApplyRequested(Message):
    """The user confirmed a plan (``confirm``: the protected env's name as typed)."""

    def __init__(self, plan: Plan, confirm: str | None) -> None:
        super().__init__()
        self.plan = plan
        self.confirm = confirm


class ChangeProgress(Message):
    """One line of progress from a change being applied."""

    def __init__(self, plan_id: str, line: str) -> None:
        super().__init__()
        self.plan_id = plan_id
        self.line = line


class ChangeDone(Message):
    """A change finished (applied, failed, rolled back or refused)."""

    def __init__(self, plan: Plan, outcome: Outcome) -> None:
        super().__init__()
        self.plan = plan
        self.outcome = outcome


class Chosen(Message):
    """The user chose something to drill into: an environment, cluster, service, host or task.

    ``kind`` is one of env, cluster, service, host, task; unused fields are empty.
    """

    def __init__(
        self, kind: str, env: str, cluster: str = "", service: str = "", item: str = ""
    ) -> None:
        super().__init__()
        self.kind = kind
        self.env = env
        self.cluster = cluster
        self.service = service
        self.item = item


class FilterChanged(Message):
    """The ``/`` filter text changed (empty: no filter)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class Navigate(Message):
    """Up to the app: open a screen for something (env, cluster, service, hosts, task).

    ``kind`` is one of env, cluster, service, hosts; unused fields are empty.
    """

    def __init__(
        self, kind: str, env: str, cluster: str = "", service: str = "", item: str = ""
    ) -> None:
        super().__init__()
        self.kind = kind
        self.env = env
        self.cluster = cluster
        self.service = service
        self.item = item


class GoBack(Message):
    """Up to the app: leave the current screen."""


class ChangeRequested(Message):
    """Up to the app: plan this change (the plan dialog opens when it is ready)."""

    def __init__(self, request: ActionRequest) -> None:
        super().__init__()
        self.request = request


class DetailWanted(Message):
    """Up to the app: read one service at detail depth; ``DetailArrived`` comes back down."""

    def __init__(self, env: str, service: str) -> None:
        super().__init__()
        self.env = env
        self.service = service


class LogsWanted(Message):
    """Up to the app: the next log lines after ``cursor``; ``LogsArrived`` comes back down."""

    def __init__(self, env: str, service: str, task: str | None, cursor: object) -> None:
        super().__init__()
        self.env = env
        self.service = service
        self.task = task
        self.cursor = cursor


class UnlockWanted(Message):
    """Up to the app: unlock (or lock again) a protected environment for this session."""

    def __init__(self, env: str) -> None:
        super().__init__()
        self.env = env


class TargetsWanted(Message):
    """Up to the app: read ``env``'s target groups in detail; ``TargetsArrived`` comes back."""

    def __init__(self, env: str) -> None:
        super().__init__()
        self.env = env


class TargetsArrived(Message):
    """``env``'s target groups with targets and draining timeouts."""

    def __init__(self, env: str, groups: Sequence[TargetGroupState]) -> None:
        super().__init__()
        self.env = env
        self.groups = tuple(groups)


class RawWanted(Message):
    """Up to the app: show a service (or one of its tasks) as AWS described it."""

    def __init__(self, env: str, service: str, cluster: str, task: str | None = None) -> None:
        super().__init__()
        self.env = env
        self.service = service
        self.cluster = cluster
        self.task = task


class ContainersWanted(Message):
    """Up to the app: the latest CPU and memory of these tasks' containers (one cluster);
    ``ContainersArrived`` comes back down."""

    def __init__(self, env: str, cluster: str, tasks: Sequence[TaskState]) -> None:
        super().__init__()
        self.env = env
        self.cluster = cluster
        self.tasks = tuple(tasks)


class ContainersArrived(Message):
    """Per-container figures (or why there are none) of some tasks of ``env``."""

    def __init__(self, env: str, metrics: ContainerMetrics) -> None:
        super().__init__()
        self.env = env
        self.metrics = metrics
