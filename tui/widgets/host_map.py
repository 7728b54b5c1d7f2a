"""The host map: container instances as tiles coloured by CPU (or memory), like Datadog's.

Tiles are grouped (by environment and cluster) and flow into as many columns as fit.
Focusing a tile (arrow keys, tab, click) posts ``Chosen("host", …)`` for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Container, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static

from opskit.estate import InstanceState
from tui import bindings
from tui.format import heat, pct, used_pct
from tui.messages import Chosen

TILE_WIDTH = 11  # 10 cells and a gutter


@dataclass(frozen=True)
class HostGroup:
    """A row of tiles: the hosts of one cluster in one environment."""

    env: str
    cluster: str
    colour: str
    hosts: tuple[InstanceState, ...]


def host_value(host: InstanceState, metric: str) -> float | None:
    """Used percent from the host's series, else reserved percent from its capacity."""
    series = host.utilization.cpu if metric == "cpu" else host.utilization.memory
    if series is not None and series.latest is not None:
        return series.latest
    if metric == "cpu":
        return used_pct(host.cpu_registered, host.cpu_remaining)
    return used_pct(host.memory_registered, host.memory_remaining)


def short_host(host: InstanceState) -> str:
    name = host.ec2_instance_id or host.id
    return name[-8:]


class HostTile(Static, can_focus=True):
    """One host; its background is its heat."""

    DEFAULT_CSS = """
    HostTile { width: 10; height: 3; content-align: center middle; color: black; }
    HostTile:focus { text-style: bold reverse; }
    """

    def __init__(self, group: HostGroup, host: InstanceState, metric: str) -> None:
        super().__init__(id=f"host-{group.env}-{host.id}", classes="host-tile")
        self.show_host(group, host, metric)

    def show_host(self, group: HostGroup, host: InstanceState, metric: str) -> None:
        """Show ``host`` (coloured by ``metric``)."""
        self.group, self.host, self.metric = group, host, metric
        value = host_value(host, metric)
        self.styles.background = heat(value)
        text = Text(justify="center")
        text.append(short_host(host) + "\n")
        if not host.agent_connected:
            text.append("✗ agent", style="bold")
        else:
            text.append(pct(value), style="bold")
        self.update(text)

    def on_focus(self, event: events.Focus) -> None:
        self.post_message(
            Chosen("host", self.group.env, cluster=self.group.cluster, item=self.host.id)
        )


class HostMap(VerticalScroll):
    """Set ``groups`` and ``metric``; tiles are rebuilt only when the hosts change."""

    class Rebuilt(Message):
        """The tiles were rebuilt (other hosts, or the first data)."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.HOST_MAP]

    DEFAULT_CSS = """
    HostMap { height: 1fr; }
    HostMap .host-group-label { height: 1; margin-top: 1; }
    HostMap .host-grid { layout: grid; grid-gutter: 0 1; height: auto; }
    """

    groups: reactive[tuple[HostGroup, ...]] = reactive((), init=False, always_update=True)
    metric: reactive[str] = reactive("cpu", init=False)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._shape: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def compose(self) -> ComposeResult:
        for group in self.groups:
            label = Text()
            label.append(group.env, style=f"bold {group.colour}")
            label.append(f" / {group.cluster}", style="bold")
            label.append(f"  {len(group.hosts)} hosts", style="dim")
            yield Static(label, classes="host-group-label")
            with Container(classes="host-grid"):
                for host in group.hosts:
                    yield HostTile(group, host, self.metric)

    def on_mount(self) -> None:
        self._columns()

    async def watch_groups(self, groups: tuple[HostGroup, ...]) -> None:
        shape = tuple((g.env, g.cluster, tuple(h.id for h in g.hosts)) for g in groups)
        if shape != self._shape:
            self._shape = shape
            focused = self.screen.focused
            keep = focused.id if isinstance(focused, HostTile) else None
            await self.recompose()
            self._columns()
            if keep:
                found = self.query(f"#{keep}")
                if found:
                    found.first().focus()
            self.post_message(self.Rebuilt())
            return
        tiles = {tile.id: tile for tile in self.query(HostTile)}
        for group in groups:
            for host in group.hosts:
                tile = tiles.get(f"host-{group.env}-{host.id}")
                if tile is not None and tile.host != host:
                    tile.show_host(group, host, self.metric)

    def watch_metric(self, metric: str) -> None:
        for tile in self.query(HostTile):
            tile.show_host(tile.group, tile.host, metric)

    def on_resize(self, event: events.Resize) -> None:
        self._columns()

    def _columns(self) -> None:
        columns = max(1, (self.size.width - 2) // TILE_WIDTH)
        for grid in self.query(".host-grid"):
            grid.styles.grid_size_columns = columns

    def tiles(self) -> Sequence[HostTile]:
        return list(self.query(HostTile))

    def action_move(self, step: int) -> None:
        self._step(step)

    def action_move_row(self, step: int) -> None:
        self._step(step * max(1, (self.size.width - 2) // TILE_WIDTH))

    def _step(self, step: int) -> None:
        tiles = self.tiles()
        if not tiles:
            return
        focused = self.screen.focused
        index = tiles.index(focused) if isinstance(focused, HostTile) and focused in tiles else -1
        target = tiles[max(0, min(len(tiles) - 1, index + step))]
        target.focus()
        target.scroll_visible()
