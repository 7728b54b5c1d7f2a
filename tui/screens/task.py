"""One task's details: status, health, timings, its containers, and why it stopped."""

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

from opskit.estate import TaskState
from tui import bindings
from tui.format import ago
from tui.messages import ChangeRequested, RawWanted
from tui.screens.service_tabs import styled, task_reason
from tui.source import ActionKind, ActionRequest
from tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.dash import Dash


def task_table(task: TaskState, clock: dt.datetime) -> Table:
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
    for column in ("container", "image", "status", "exit", "health", "reason"):
        containers.add_column(column)
    for c in task.containers:
        containers.add_row(
            c.name,
            c.image,
            styled(c.last_status),
            "-" if c.exit_code is None else str(c.exit_code),
            styled(c.health),
            Text(c.reason, style="red"),
        )
    table.add_row("containers", containers)
    return table


class TaskScreen(ReportsWorkerErrors, ModalScreen[None]):
    """A task, over its service screen."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.TASK]

    def __init__(self, env: str, service: str, cluster: str, task: TaskState) -> None:
        super().__init__()
        self.env = env
        self.service = service
        self.cluster = cluster
        self.ecs_task = task

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
