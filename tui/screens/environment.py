"""One environment: its clusters with utilization, load balancers, target groups, DNS.

Enter opens a cluster; ``h`` shows its hosts; ``D`` sets the load balancers' draining
timeout (deregistration delay) across the environment through the change engine.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from opskit.estate import Series, TargetGroupState, Utilization
from tui import bindings
from tui.aggregate import cluster_load, env_summary
from tui.format import ago, level, pct, spark
from tui.messages import ChangeRequested, Navigate, TargetsArrived, TargetsWanted
from tui.records import record_text
from tui.screens.base import DashScreen
from tui.source import ActionKind, ActionRequest
from tui.state import EnvStatus, EstateView
from tui.widgets.estate_table import matches
from tui.widgets.keyed_table import KeyedTable, Row
from tui.widgets.utilization import UtilizationPanel


class EnvironmentScreen(DashScreen):
    """Drill-down level one."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.ENVIRONMENT]

    def __init__(self, env: str) -> None:
        super().__init__()
        self.env = env
        self.detailed: dict[str, TargetGroupState] = {}  # arn -> with its draining timeout
        self._asked: frozenset[str] = frozenset()  # the target groups last asked about

    def crumbs(self) -> tuple[str, ...]:
        return (self.env or "",)

    def body(self) -> Iterable[Widget]:
        yield Static(id="env-head", classes="head")
        yield UtilizationPanel(id="env-util")
        with TabbedContent(id="env-tabs"):
            with TabPane("Clusters", id="tab-clusters"):
                yield KeyedTable(
                    (
                        "cluster",
                        "concern",
                        "hosts",
                        "svc",
                        "tasks",
                        "cpu",
                        "res",
                        "mem",
                        "res",
                        "cpu 1h",
                    ),
                    id="clusters",
                )
            with TabPane("Load balancers", id="tab-lbs"):
                yield KeyedTable(("name", "type", "scheme", "state", "dns name"), id="lbs")
            with TabPane("Target groups", id="tab-tgs"):
                yield KeyedTable(("name", "port", "protocol", "health check", "draining"), id="tgs")
            with TabPane("DNS", id="tab-dns"):
                yield KeyedTable(("name", "type", "points at", "set", "weight"), id="dns")

    def ready(self) -> None:
        self.query_one("#clusters", KeyedTable).focus()
        self.reread()

    def reread(self) -> None:
        """Read the target groups' attributes (draining timeout): two calls per group, so
        on opening the screen, on ctrl+r and after a change, not on every refresh."""
        if self.dash.user != "connecting…":
            status = self.dash.estate.env(self.env or "")
            state = status.state if status else None
            self._asked = frozenset(tg.arn for tg in state.target_groups) if state else frozenset()
            self.post_message(TargetsWanted(self.env or ""))

    def on_targets_arrived(self, message: TargetsArrived) -> None:
        self.detailed = {group.arn: group for group in message.groups}
        self.show(self.dash.estate)

    def status(self) -> EnvStatus | None:
        return self.dash.estate.env(self.env or "")

    def show(self, view: EstateView) -> None:
        status = view.env(self.env or "")
        if status is None:
            return
        self.query_one("#env-head", Static).update(_head(status, self.dash.now))
        state = status.state
        if state is None:
            return
        load = env_summary(state).load
        self.query_one(UtilizationPanel).utilization = Utilization(
            Series("cpu", (), load.cpu_series), Series("memory", (), load.mem_series)
        )
        needle = self.needle
        rows: list[Row] = []
        for cluster in state.clusters:
            if not matches(needle, cluster.name, cluster.concern):
                continue
            c = cluster_load(cluster)
            rows.append(
                (
                    cluster.name,
                    (
                        Text(cluster.name, style="bold"),
                        cluster.concern,
                        str(len(cluster.instances)),
                        str(len(cluster.services)),
                        str(cluster.running_tasks),
                        Text(pct(c.cpu_used), style=level(c.cpu_used)),
                        pct(c.cpu_reserved),
                        Text(pct(c.mem_used), style=level(c.mem_used)),
                        pct(c.mem_reserved),
                        Text(spark(c.cpu_series, 12), style=level(c.cpu_used)),
                    ),
                )
            )
        self.query_one("#clusters", KeyedTable).fill(rows)
        self.query_one("#lbs", KeyedTable).fill(
            [
                (lb.arn, (lb.name, lb.type, lb.scheme, lb.state, lb.dns_name))
                for lb in state.load_balancers
                if matches(needle, lb.name, lb.dns_name)
            ]
        )
        groups = {tg.arn: self.detailed.get(tg.arn, tg) for tg in state.target_groups}
        if set(groups) - self._asked:  # groups the first (staged) read had not listed yet
            self.reread()
        for _, service in state.services():
            for tg in service.target_groups:
                groups.setdefault(tg.arn, self.detailed.get(tg.arn, tg))
        self.query_one("#tgs", KeyedTable).fill(
            [
                (
                    tg.arn,
                    (
                        tg.name,
                        str(tg.port or "-"),
                        tg.protocol,
                        tg.health_check_path,
                        "-" if tg.deregistration_delay is None else f"{tg.deregistration_delay}s",
                    ),
                )
                for tg in sorted(groups.values(), key=lambda t: t.name)
                if matches(needle, tg.name)
            ]
        )
        self.query_one("#dns", KeyedTable).fill(
            [
                (
                    f"{r.name}|{r.type}|{r.set_identifier}",
                    (
                        r.name,
                        r.type,
                        record_text(r),
                        r.set_identifier or "-",
                        "-" if r.weight is None else str(r.weight),
                    ),
                )
                for r in state.dns
                if matches(needle, r.name, r.load_balancer, r.alias_target)
            ]
        )

    def tick(self, now: dt.datetime) -> None:
        status = self.status()
        if status is not None:
            self.query_one("#env-head", Static).update(_head(status, now))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "clusters" and event.row_key.value:
            event.stop()
            self.post_message(Navigate("cluster", self.env or "", cluster=event.row_key.value))

    def action_open(self) -> None:
        key = self.query_one("#clusters", KeyedTable).key_at_cursor()
        if key:
            self.post_message(Navigate("cluster", self.env or "", cluster=key))

    def action_hosts(self) -> None:
        self.post_message(Navigate("hosts", self.env or ""))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "draining":
            return self.may_change(self.env)
        return True

    def action_draining(self) -> None:
        from tui.screens.ask import AskScreen, int_between

        env = self.env or ""

        def done(value: str | None) -> None:
            if value:
                self.post_message(
                    ChangeRequested(
                        ActionRequest(ActionKind.draining, env, params={"seconds": int(value)})
                    )
                )

        self.app.push_screen(
            AskScreen(
                f"Set the draining timeout of every target group in {env}",
                "seconds (0-3600)",
                value="60",
                validator=int_between(0, 3600),
            ),
            done,
        )


def _head(status: EnvStatus, now: dt.datetime) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(status.name, style=f"bold {status.colour}")
    if status.state is not None:
        text.append(f"  account {status.state.account} · {status.state.region}", style="dim")
    if status.protected:
        text.append("  protected", style="bold red")
    text.append(f"  updated {ago(status.updated_at, now)} ago", style="dim")
    if status.error:
        text.append(f"  ⚠ {status.error}", style="bold red")
    elif status.unknown:
        text.append(f"  ⚠ {status.unknown}", style="yellow")
    return text
