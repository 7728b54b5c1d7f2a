"""The hosts view: every container instance as a tile coloured by CPU (``c``: memory),
grouped by environment and cluster, with the focused host's utilization beside the map.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Static

from opskit.estate import InstanceState
from tui import bindings
from tui.format import level, pct, used_pct
from tui.messages import Chosen
from tui.screens.base import DashScreen
from tui.state import EstateView
from tui.widgets.estate_table import matches
from tui.widgets.host_map import HostGroup, HostMap, HostTile, host_value
from tui.widgets.utilization import UtilizationPanel


def host_table(host: InstanceState, env: str, cluster: str) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    cpu_res = used_pct(host.cpu_registered, host.cpu_remaining)
    mem_res = used_pct(host.memory_registered, host.memory_remaining)
    cpu, mem = host_value(host, "cpu"), host_value(host, "memory")
    table.add_row("host", host.ec2_instance_id or host.id)
    table.add_row("where", f"{env} / {cluster}")
    table.add_row("type", host.instance_type)
    table.add_row("status", host.status)
    table.add_row(
        "agent",
        Text("connected", "green") if host.agent_connected else Text("DISCONNECTED", "bold red"),
    )
    table.add_row("cpu used", Text(pct(cpu), style=level(cpu)))
    table.add_row("cpu res", f"{pct(cpu_res)} of {host.cpu_registered} units")
    table.add_row("mem used", Text(pct(mem), style=level(mem)))
    table.add_row("mem res", f"{pct(mem_res)} of {host.memory_registered} MiB")
    table.add_row("tasks", f"{host.running_tasks} running, {host.pending_tasks} pending")
    return table


class HostsScreen(DashScreen):
    """The host map of one environment (or every one)."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.HOSTS]

    def __init__(self, env: str | None = None) -> None:
        super().__init__()
        self.env = env
        self.metric = "cpu"
        self.selected: tuple[str, str, str] | None = None  # env, cluster, host id

    def crumbs(self) -> tuple[str, ...]:
        return (self.env or "all environments", "hosts")

    def body(self) -> Iterable[Widget]:
        yield Static(id="hosts-head", classes="head")
        with Horizontal(id="hosts-body"):
            yield HostMap(id="host-map")
            with Vertical(id="host-side"):
                yield Static("focus a host (tab, arrows, click)", id="host-detail")
                yield UtilizationPanel(id="host-util")

    def on_host_map_rebuilt(self, message: HostMap.Rebuilt) -> None:
        if not isinstance(self.focused, HostTile):
            tiles = self.query_one(HostMap).tiles()
            if tiles:
                tiles[0].focus()

    def _groups(self, view: EstateView) -> tuple[HostGroup, ...]:
        groups = []
        for status in view.envs:
            if self.env and status.name != self.env:
                continue
            for cluster in status.clusters:
                hosts = tuple(
                    h
                    for h in cluster.instances
                    if matches(self.needle, h.id, h.ec2_instance_id, h.instance_type, cluster.name)
                )
                if hosts:
                    groups.append(HostGroup(status.name, cluster.name, status.colour, hosts))
        return tuple(groups)

    def show(self, view: EstateView) -> None:
        groups = self._groups(view)
        hosts = [h for g in groups for h in g.hosts]
        hot = sum(1 for h in hosts if (host_value(h, "cpu") or 0) >= 85)
        lost = sum(1 for h in hosts if not h.agent_connected)
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(f"{len(hosts)} hosts", style="bold")
        head.append(f" · coloured by {'CPU' if self.metric == 'cpu' else 'memory'} used")
        head.append(f" · {hot} above 85%", style="bold red" if hot else "dim")
        head.append(f" · {lost} agent(s) disconnected", style="bold red" if lost else "dim")
        self.query_one("#hosts-head", Static).update(head)
        self.query_one(HostMap).groups = groups
        self._detail(groups)

    def _detail(self, groups: tuple[HostGroup, ...]) -> None:
        if self.selected is None:
            return
        env, cluster, ident = self.selected
        for group in groups:
            if group.env == env and group.cluster == cluster:
                host = next((h for h in group.hosts if h.id == ident), None)
                if host is not None:
                    self.query_one("#host-detail", Static).update(host_table(host, env, cluster))
                    self.query_one(UtilizationPanel).utilization = host.utilization

    def chosen(self, message: Chosen) -> None:
        if message.kind == "host":
            self.selected = (message.env, message.cluster, message.item)
            self._detail(self.query_one(HostMap).groups)

    def action_cycle_metric(self) -> None:
        self.metric = "memory" if self.metric == "cpu" else "cpu"
        self.query_one(HostMap).metric = self.metric
        self.show(self.dash.estate)
