"""One cluster in one environment: utilization, its services, and its hosts as a map.

Enter opens a service; focusing a host tile and pressing Enter opens the hosts view on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from opskit.estate import ClusterState, ServiceState
from tui import bindings
from tui.aggregate import cluster_load
from tui.format import count_cell, health_words, level, pct, spark
from tui.messages import ChangeRequested, Chosen, Navigate
from tui.screens.base import DashScreen
from tui.screens.cluster_tabs import (
    SCHEDULE_COLUMNS,
    TASK_COLUMNS,
    revision_cell,
    schedule_rows,
    standalone_rows,
)
from tui.source import ActionKind, ActionRequest
from tui.state import EstateView
from tui.widgets.estate_table import matches
from tui.widgets.host_map import HostGroup, HostMap
from tui.widgets.keyed_table import KeyedTable, Row
from tui.widgets.utilization import UtilizationPanel


def service_row(service: ServiceState, marked: bool = False) -> Row:
    cpu = service.utilization.cpu.latest if service.utilization.cpu else None
    mem = service.utilization.memory.latest if service.utilization.memory else None
    cpu_values = service.utilization.cpu.values if service.utilization.cpu else ()
    return (
        service.name,
        (
            Text.assemble(("● " if marked else "  ", "bold yellow"), (service.name, "bold")),
            count_cell(service),
            ", ".join(service.tags),
            revision_cell(service),
            Text(pct(cpu), style=level(cpu)),
            Text(pct(mem), style=level(mem)),
            Text(spark(cpu_values, 12), style=level(cpu)),
            health_words(service.health),
        ),
    )


class ClusterScreen(DashScreen):
    """Drill-down level two."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.CLUSTER]

    def __init__(self, env: str, cluster: str) -> None:
        super().__init__()
        self.env = env
        self.cluster = cluster
        self.marked: frozenset[str] = frozenset()  # services marked for a batch action

    def crumbs(self) -> tuple[str, ...]:
        return (self.env or "", self.cluster)

    def body(self) -> Iterable[Widget]:
        yield Static(id="cluster-head", classes="head")
        yield UtilizationPanel(id="cluster-util")
        with TabbedContent(id="cluster-tabs"):
            with TabPane("Services", id="tab-services"):
                yield KeyedTable(
                    ("service", "tasks", "tags", "rev", "cpu", "mem", "cpu 1h", "health"),
                    id="services",
                )
            with TabPane("Standalone tasks", id="tab-standalone"):
                yield KeyedTable(TASK_COLUMNS, id="standalone")
            with TabPane("Schedules", id="tab-schedules"):
                yield KeyedTable(SCHEDULE_COLUMNS, id="schedules")
            with TabPane("Hosts", id="tab-hosts"):
                yield HostMap(id="cluster-hosts")

    def ready(self) -> None:
        self.query_one("#services", KeyedTable).focus()

    def state(self, view: EstateView) -> ClusterState | None:
        return view.cluster(self.env or "", self.cluster)

    def show(self, view: EstateView) -> None:
        cluster = self.state(view)
        head = self.query_one("#cluster-head", Static)
        if cluster is None:
            status = view.env(self.env or "")
            head.update(Text(status.error if status and status.error else "loading…", style="red"))
            return
        load = cluster_load(cluster)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(cluster.name, style="bold")
        text.append(f" ({cluster.concern})", style="dim")
        text.append(f" · {len(cluster.instances)} hosts · {len(cluster.services)} svc · ")
        text.append(f"{cluster.running_tasks} tasks")
        if cluster.tasks:
            text.append(f" ({cluster.standalone_running} standalone)", style="dim")
        text.append(f" · reserved cpu {pct(load.cpu_reserved)}")
        text.append(f" mem {pct(load.mem_reserved)}")
        head.update(text)
        self.query_one(UtilizationPanel).utilization = cluster.utilization
        self.query_one("#services", KeyedTable).fill(
            [
                service_row(s, s.name in self.marked)
                for s in sorted(cluster.services, key=lambda s: s.name)
                if matches(self.needle, s.name, *s.tags, "behind" if s.behind else "")
            ]
        )
        self.query_one("#standalone", KeyedTable).fill(
            standalone_rows(cluster, self.dash.now, self.needle)
        )
        self.query_one("#schedules", KeyedTable).fill(schedule_rows(cluster, self.needle))
        status = view.env(self.env or "")
        colour = status.colour if status else "white"
        self.query_one(HostMap).groups = (
            HostGroup(self.env or "", cluster.name, colour, cluster.instances),
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "services" and event.row_key.value:
            event.stop()
            self.post_message(
                Navigate("service", self.env or "", self.cluster, event.row_key.value)
            )
        elif event.data_table.id == "standalone" and event.row_key.value:
            event.stop()
            self._open_task(event.row_key.value)

    def _open_task(self, task_id: str) -> None:
        """A standalone task's details (its containers, why it stopped) over this screen."""
        from tui.screens.task import TaskScreen

        cluster = self.state(self.dash.estate)
        task = next((t for t in cluster.tasks if t.id == task_id), None) if cluster else None
        if task is not None:
            self.app.push_screen(TaskScreen(self.env or "", "", self.cluster, task))

    def action_open(self) -> None:
        key = self.query_one("#services", KeyedTable).key_at_cursor()
        if key:
            self.post_message(Navigate("service", self.env or "", self.cluster, key))

    def chosen(self, message: Chosen) -> None:
        if message.kind != "host":  # focusing a tile only selects it
            super().chosen(message)

    def action_logs(self) -> None:
        """Logs of the service under the cursor."""
        key = self.query_one("#services", KeyedTable).key_at_cursor()
        if not key:
            self.notify("choose a service first", timeout=3)
            return
        from tui.screens.logs import LogsScreen

        self.app.push_screen(LogsScreen(self.env or "", key))

    # -- batch actions: mark services, then one plan over all of them ---------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("batch_restart", "batch_scale"):
            return self.may_change(self.env)
        return True

    def action_mark(self) -> None:
        """Mark (or unmark) the service under the cursor for a batch action."""
        key = self.query_one("#services", KeyedTable).key_at_cursor()
        if key:
            self.marked = self.marked ^ {key}
            self.show(self.dash.estate)
            self.notify(f"{len(self.marked)} marked: r restarts them, s scales them", timeout=3)

    def _targets(self) -> list[str]:
        """The marked services, else the one under the cursor."""
        if self.marked:
            return sorted(self.marked)
        key = self.query_one("#services", KeyedTable).key_at_cursor()
        return [key] if key else []

    def action_batch_restart(self) -> None:
        services = self._targets()
        if services:
            self._batch("restart", services)

    def action_batch_scale(self) -> None:
        from tui.screens.ask import AskScreen, int_between

        services = self._targets()
        if not services:
            return

        def done(value: str | None) -> None:
            if value:
                self._batch("scale", services, int(value))

        self.app.push_screen(
            AskScreen(
                f"Scale {len(services)} services in {self.env}: {', '.join(services)}",
                "desired count for each (each within its bounds)",
                value="1",
                validator=int_between(0, 5000),
            ),
            done,
        )

    def _batch(self, action: str, services: list[str], count: int | None = None) -> None:
        params = {"action": action, "services": tuple(services), "count": count}
        request = ActionRequest(ActionKind.batch, self.env or "", "", self.cluster, params)
        self.post_message(ChangeRequested(request))
        self.marked = frozenset()
        self.show(self.dash.estate)

    def action_hosts(self) -> None:
        self.post_message(Navigate("hosts", self.env or ""))
