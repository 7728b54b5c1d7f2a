"""One task's details: status, health, timings, its containers, and why it stopped.

Each container's CPU and memory (Container Insights: used of reserved) is read when the
screen opens and once per CloudWatch period while it stays open, never by the dashboard's
refresh; a cluster without Container Insights says so instead of blank cells.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from opskit.estate import ContainerMetrics, TaskState
from opskit.estate.container_text import cpu_text, memory_text
from tui import bindings
from tui.format import ago
from tui.messages import ChangeRequested, ContainersArrived, ContainersWanted, RawWanted
from tui.screens.service_tabs import styled, task_reason
from tui.source import ActionKind, ActionRequest
from tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.dash import Dash


READING = "…"
OFF = "insights off"
UNKNOWN = "unknown"


def task_table(task: TaskState, clock: dt.datetime, usage: ContainerMetrics | None = None) -> Table:
    """The task's facts, then its containers; ``usage`` None: figures still being read."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("task", task.id)
    table.add_row(
        "status", Text.assemble(styled(task.last_status), f" (desired {task.desired_status})")
    )
    table.add_row("health", styled(task.health))
    table.add_row("definition", task.task_definition)
    if task.standalone:
        table.add_row("group", task.group or "-")
        table.add_row("started by", task.started_by or "-")
    table.add_row("host", task.container_instance or "-")
    table.add_row("started", f"{ago(task.started_at, clock)} ago" if task.started_at else "-")
    if task.stopped_at or task.stopped_reason:
        table.add_row("stopped", f"{ago(task.stopped_at, clock)} ago" if task.stopped_at else "-")
        table.add_row("stop code", task.stop_code or "-")
        table.add_row("why", Text(task_reason(task), style="bold red"))
    containers = Table(box=None, header_style="bold", pad_edge=False)
    reasons = any(c.reason for c in task.containers)  # a column only when one has a reason
    columns = ("container", "image", "status", "exit", "health", "cpu", "memory", "reason")
    for column in columns[:-1] if not reasons else columns:
        fixed = column not in ("image", "reason")  # those two give way on a narrow screen
        containers.add_column(column, no_wrap=fixed, min_width=_widest(task, column))
    for c in task.containers:
        cpu, memory = figures(usage, task.id, c.name)
        cells: list[str | Text] = [
            c.name,
            c.image,
            styled(c.last_status),
            "-" if c.exit_code is None else str(c.exit_code),
            styled(c.health),
            cpu,
            memory,
        ]
        if reasons:
            cells.append(Text(c.reason, style="red"))
        containers.add_row(*cells)
    table.add_row("containers", containers)
    if usage is not None and usage.note:
        table.add_row("metrics", Text(usage.note, style="yellow"))
    return table


def _widest(task: TaskState, column: str) -> int | None:
    """Names, statuses and health never shrink below their longest value."""
    values = {
        "container": [c.name for c in task.containers],
        "status": [c.last_status for c in task.containers],
        "health": [c.health for c in task.containers],
    }.get(column)
    return max((len(v) for v in values), default=0) if values is not None else None


def figures(usage: ContainerMetrics | None, task: str, container: str) -> tuple[str, str]:
    """The cpu and memory cells of one container (``…`` while read, ``insights off``,
    ``unknown`` when the read failed)."""
    if usage is None:
        return READING, READING
    if usage.note and not usage.containers:
        word = OFF if usage.insights in ("disabled", "enabled") else UNKNOWN
        return word, word
    found = usage.find(task, container)
    return cpu_text(found), memory_text(found)


class TaskScreen(ReportsWorkerErrors, ModalScreen[None]):
    """A task, over its service screen."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.TASK]

    def __init__(self, env: str, service: str, cluster: str, task: TaskState) -> None:
        super().__init__()
        self.env = env
        self.service = service
        self.cluster = cluster
        self.ecs_task = task
        self.usage: ContainerMetrics | None = None

    @property
    def dash(self) -> Dash:
        return cast("Dash", self.app)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="task", classes="dialog"):
            yield Static(
                Text(f"task {self.ecs_task.id} of {self._owner} in {self.env}", style="bold"),
                classes="dialog-title",
            )
            yield Static(task_table(self.ecs_task, self.dash.now), id="task-body")
        yield Footer()

    def on_mount(self) -> None:
        self.ask_usage()
        self.set_interval(max(10, self.dash.config.metrics.period_seconds), self.ask_usage)

    def ask_usage(self) -> None:
        """Ask for this task's container figures (the reader answers from its cache within
        a CloudWatch period)."""
        if self.dash.user != "connecting…":
            self.post_message(ContainersWanted(self.env, self.cluster, (self.ecs_task,)))

    def on_containers_arrived(self, message: ContainersArrived) -> None:
        if message.metrics.cluster != self.cluster or (
            message.metrics.containers
            and not any(u.task == self.ecs_task.id for u in message.metrics.containers)
        ):
            return
        self.usage = message.metrics
        body = task_table(self.ecs_task, self.dash.now, self.usage)
        self.query_one("#task-body", Static).update(body)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "logs" and self.ecs_task.standalone:
            return False  # the logs screen reads a service's containers; none owns this task
        if action == "stop_task":
            return self.ecs_task.desired_status != "STOPPED" and not self.dash.change_block(
                self.env
            )
        return True

    @property
    def _owner(self) -> str:
        task = self.ecs_task
        return self.service or f"{task.group or 'no group'} (started by {task.started_by or '?'})"

    def action_back(self) -> None:
        self.dismiss(None)

    def action_logs(self) -> None:
        from tui.screens.logs import LogsScreen

        self.dismiss(None)
        address = (
            f"{self.cluster}/{self.service}" if self.cluster and self.service else self.service
        )
        self.app.push_screen(LogsScreen(self.env, address, self.ecs_task.id))

    def action_raw(self) -> None:
        """This task as DescribeTasks returned it (secrets redacted)."""
        self.app.post_message(RawWanted(self.env, self.service, self.cluster, self.ecs_task.arn))

    def action_stop_task(self) -> None:
        self.dismiss(None)
        self.app.post_message(
            ChangeRequested(
                ActionRequest(
                    ActionKind.stop_task,
                    self.env,
                    self.service,
                    self.cluster,
                    {"task": self.ecs_task.id},
                )
            )
        )
