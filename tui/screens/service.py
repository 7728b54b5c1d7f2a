"""One service in one environment: tasks, deployments, events, targets, DNS, definition.

The screen reads the service at detail depth in its own worker (targets and the task
definition are only read here) and falls back to the overview data until that arrives.
Actions (scale, restart, deploy, rollback, stop a task) open the plan modal through the
app; they are hidden when the session or the environment is read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.validation import Validator
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from opskit.estate import EnvironmentState, ServiceState, TaskState
from tui import bindings
from tui.format import ago, count_cell, health_words
from tui.live import DETAIL_SECONDS, live_detail
from tui.messages import ChangeRequested, DetailArrived, DetailWanted, RawWanted
from tui.screens.base import DashScreen
from tui.screens.service_tabs import (
    definition_text,
    deployment_rows,
    dns_rows,
    event_rows,
    target_rows,
    task_rows,
)
from tui.source import ActionKind, ActionRequest
from tui.state import EstateView
from tui.widgets.keyed_table import KeyedTable
from tui.widgets.utilization import UtilizationPanel

ACTIONS = {"scale", "restart", "deploy", "rollback", "stop_task", "promote", "actions"}
MENU = (
    ("scale", "s", "Scale: set the desired count"),
    ("restart", "r", "Restart: force a new deployment"),
    ("deploy", "d", "Deploy an image tag"),
    ("rollback", "b", "Roll back to a previous task definition"),
    ("stop_task", "x", "Stop the task under the cursor"),
    ("promote", "p", "Promote: the digests another environment proved"),
)


class ServiceScreen(DashScreen):
    """Drill-down level three."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.SERVICE]

    def __init__(self, env: str, service: str, cluster: str = "") -> None:
        super().__init__()
        self.env = env
        self.service = service
        self.cluster = cluster  # names it where one name runs in two clusters
        self.detail: ServiceState | None = None

    @property
    def address(self) -> str:
        """What the library finds this service by (``CLUSTER/SERVICE`` when known): a bare
        name is ambiguous where one name runs in two clusters."""
        cluster = self.cluster or (self.detail.cluster if self.detail else "")
        return f"{cluster}/{self.service}" if cluster else self.service

    def crumbs(self) -> tuple[str, ...]:
        found = self._found(self.dash.estate)
        cluster = found[1].cluster if found else "?"
        return (self.env or "", cluster, self.service)

    def body(self) -> Iterable[Widget]:
        yield Static(id="svc-head", classes="head")
        yield UtilizationPanel(id="svc-util")
        with TabbedContent(id="svc-tabs"):
            with TabPane("Tasks", id="tab-tasks"):
                yield KeyedTable(
                    ("task", "status", "health", "started", "def", "host", "stopped reason"),
                    id="tasks",
                )
            with TabPane("Deployments", id="tab-deployments"):
                yield KeyedTable(
                    (
                        "id",
                        "status",
                        "task def",
                        "rollout",
                        "want",
                        "run",
                        "pend",
                        "fail",
                        "updated",
                    ),
                    id="deployments",
                )
            with TabPane("Events", id="tab-events"):
                yield KeyedTable(("at", "message"), id="events")
            with TabPane("Targets", id="tab-targets"):
                yield KeyedTable(
                    ("target group", "target", "port", "state", "reason", "draining"), id="targets"
                )
            with TabPane("DNS", id="tab-dns"):
                yield KeyedTable(("name", "type", "points at", "set", "weight"), id="svc-dns")
            with TabPane("Definition", id="tab-definition"):
                yield Static(id="definition")

    def ready(self) -> None:
        self.query_one("#tasks", KeyedTable).focus()
        self.reread()
        every = self.dash.settings.detail_seconds or max(
            DETAIL_SECONDS, self.dash.settings.refresh_seconds
        )
        self.set_interval(every, self.reread)

    def reread(self) -> None:
        """Read this service at detail depth (again), unless another screen hides it."""
        if self.dash.user != "connecting…" and self.is_current:
            self.post_message(DetailWanted(self.env or "", self.address))

    def on_detail_arrived(self, message: DetailArrived) -> None:
        self.detail = message.service
        self.show(self.dash.estate)

    def _found(self, view: EstateView) -> tuple[EnvironmentState, ServiceState] | None:
        """The environment (overview) and the service (detail when read, else overview)."""
        status = view.env(self.env or "")
        if status is None or status.state is None:
            return None
        cluster = status.state.cluster(self.cluster) if self.cluster else None
        live = cluster.service(self.service) if cluster else status.state.service(self.service)
        service = live_detail(self.detail, live) if self.detail else live
        return (status.state, service) if service else None

    def current(self) -> ServiceState | None:
        found = self._found(self.dash.estate)
        return found[1] if found else None

    def show(self, view: EstateView) -> None:
        found = self._found(view)
        head = self.query_one("#svc-head", Static)
        if found is None:
            status = view.env(self.env or "")
            head.update(Text(status.error if status and status.error else "loading…", style="red"))
            return
        env_state, service = found
        head.update(self._head(service))
        self.query_one(UtilizationPanel).utilization = service.utilization
        needle = self.needle
        now = self.dash.now
        self.query_one("#tasks", KeyedTable).fill(task_rows(service, now, needle))
        self.query_one("#deployments", KeyedTable).fill(deployment_rows(service, now))
        self.query_one("#events", KeyedTable).fill(event_rows(service, now, needle))
        self.query_one("#targets", KeyedTable).fill(target_rows(service))
        self.query_one("#svc-dns", KeyedTable).fill(dns_rows(env_state, service))
        self.query_one("#definition", Static).update(definition_text(service))

    def _head(self, service: ServiceState) -> Text:
        text = Text(overflow="ellipsis")
        text.append(service.name, style="bold")
        status = self.dash.estate.env(self.env or "")
        text.append(f"  {self.env}", style=f"bold {status.colour if status else ''}")
        text.append(f" / {service.cluster}  ", style="dim")
        text.append_text(count_cell(service))
        text.append(f"  pending {service.pending}  {service.task_definition}", style="dim")
        if service.behind:
            text.append(f" (latest :{service.latest_revision})", style="bold yellow")
        text.append(f"  tags {', '.join(service.tags) or '-'}\n")
        words = health_words(service.health)
        text.append(words, style="green" if words == "healthy" else "bold red")
        if service.created_at:
            text.append(f"  · created {ago(service.created_at, self.dash.now)} ago", style="dim")
        if self.detail is None:
            text.append("  · reading details…", style="dim italic")
        return text

    # -- actions ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ACTIONS:
            return self.may_change(self.env)
        return True

    def action_open_task(self) -> None:
        from tui.screens.task import TaskScreen

        task, service = self._task_at_cursor(), self.current()
        if task is not None and service is not None:
            self.app.push_screen(TaskScreen(self.env or "", self.service, service.cluster, task))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "tasks":
            event.stop()
            self.action_open_task()

    def _task_at_cursor(self) -> TaskState | None:
        service = self.current()
        key = self.query_one("#tasks", KeyedTable).key_at_cursor()
        if service is None or key is None:
            return None
        return next((t for t in service.tasks if t.id == key), None)

    def action_actions(self) -> None:
        from tui.screens.menu import MenuScreen

        def done(action: str | None) -> None:
            if action:
                getattr(self, f"action_{action}")()

        keys = {b.action: self.dash.keymap.get(b.id or "", b.key) for b in bindings.SERVICE}
        items = [(action, keys.get(action, key), text) for action, key, text in MENU]
        self.app.push_screen(MenuScreen(f"Change {self.service} in {self.env}", items), done)

    def action_raw(self) -> None:
        """The service and its task definition as AWS described them (secrets redacted)."""
        service = self.current()
        self.post_message(
            RawWanted(self.env or "", self.address, service.cluster if service else "")
        )

    def action_previous_logs(self) -> None:
        """Logs of the previous run: the task that stopped last (ECS keeps stopped tasks
        about an hour), e.g. a crash-looping container's last words."""
        from tui.screens.logs import LogsScreen

        service = self.detail
        stopped = [t for t in service.tasks if t.stopped_at] if service else []
        if not stopped:
            self.notify("no stopped task in the last hour", timeout=3)
            return
        last = max(stopped, key=lambda t: t.stopped_at or dt.datetime.min.replace(tzinfo=dt.UTC))
        exits = ", ".join(
            f"{c.name} exit {c.exit_code}" for c in last.containers if c.exit_code is not None
        )
        self.notify(f"task {last.id[:8]} stopped: {exits or last.stopped_reason}", timeout=4)
        self.app.push_screen(LogsScreen(self.env or "", self.address, last.id))

    def action_logs(self) -> None:
        from tui.screens.logs import LogsScreen

        self.app.push_screen(LogsScreen(self.env or "", self.address))

    def _ask(
        self,
        title: str,
        label: str,
        value: str,
        validator: Validator,
        build: Callable[[str], ActionRequest],
    ) -> None:
        from tui.screens.ask import AskScreen

        def done(answer: str | None) -> None:
            if answer is not None:
                self.post_message(ChangeRequested(build(answer)))

        self.app.push_screen(AskScreen(title, label, value=value, validator=validator), done)

    def action_scale(self) -> None:
        from tui.screens.ask import int_between

        service = self.current()
        low, high = self._bounds()
        self._ask(
            f"Scale {self.service} in {self.env}",
            f"desired count ({low}-{high})",
            str(service.desired if service else low),
            int_between(low, high),
            lambda v: self._request(ActionKind.scale, count=int(v)),
        )

    def _bounds(self) -> tuple[int, int]:
        spec = self.dash.config.services.get(self.service)
        size = spec.size.get(self.env or "") if spec else None
        return (size.min, size.upper) if size else (0, 5000)

    def action_restart(self) -> None:
        self.post_message(ChangeRequested(self._request(ActionKind.restart)))

    def action_deploy(self) -> None:
        from tui.screens.ask import image_tag

        service = self.current()
        tag = service.tags[0] if service and service.tags else ""
        self._ask(
            f"Deploy {self.service} in {self.env}",
            "image tag",
            tag,
            image_tag(),
            lambda v: self._request(ActionKind.deploy, tag=v),
        )

    def action_rollback(self) -> None:
        from tui.screens.ask import optional_int

        self._ask(
            f"Roll back {self.service} in {self.env}",
            "task definition revision (empty: the previous one)",
            "",
            optional_int(),
            lambda v: self._request(ActionKind.rollback, revision=int(v) if v else None),
        )

    def action_stop_task(self) -> None:
        task = self._task_at_cursor()
        if task is None or task.desired_status == "STOPPED":
            self.notify("choose a running task in the Tasks tab first", severity="warning")
            return
        self.post_message(ChangeRequested(self._request(ActionKind.stop_task, task=task.id)))

    def action_promote(self) -> None:
        from textual.validation import Function

        config = self.dash.config
        envs = [e for e in config.env_names() if e != self.env]
        order = config.env_names()
        here = order.index(self.env) if self.env in order else 0
        before = order[here - 1] if here > 0 else (envs[0] if envs else "")
        self._ask(
            f"Promote {self.service} to {self.env}",
            f"from environment ({', '.join(envs)}); the plan shows the soak evidence",
            before,
            Function(lambda value: value in envs, f"one of {', '.join(envs)}"),
            lambda v: self._request(ActionKind.promote, source=v),
        )

    def _request(self, kind: ActionKind, **params: object) -> ActionRequest:
        service = self.current()
        cluster = service.cluster if service else ""
        return ActionRequest(kind, self.env or "", self.service, cluster, params)
