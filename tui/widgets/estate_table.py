"""The overview matrix: clusters and services down, environments across.

Each service row shows, per environment, running/desired and what needs attention;
each cluster row shows the cluster's CPU and memory. Rows keep their keys across
refreshes, so the cursor stays put and only changed cells are redrawn. Choosing a cell
posts ``Chosen`` for that service (or cluster) in that column's environment.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, RowKey

from opskit.estate import ClusterState, ServiceState
from tui.aggregate import cluster_load
from tui.format import count_cell, level, pct, spark
from tui.messages import Chosen
from tui.state import EnvStatus, EstateView
from tui.widgets.table_widths import column_widths, refill

NAME = "name"
Cells = tuple[Text, ...]


def matches(text: str, *fields: str) -> bool:
    """Case-insensitive substring match of the filter against any field."""
    needle = text.strip().lower()
    return not needle or any(needle in f.lower() for f in fields)


class EstateTable(DataTable[Text]):
    """The matrix; the screen calls ``show`` with the view, filter and width mode."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._envs: tuple[str, ...] = ()
        self._rows: list[tuple[str, Cells]] = []
        self._widths: tuple[int, ...] = ()  # what the rows shown need (table_widths)

    def show(self, view: EstateView, needle: str = "", wide: bool = False) -> None:
        """Render ``view`` (keeping the cursor on the same row and column)."""
        envs = tuple(view.names())
        if envs != self._envs:
            self.clear(columns=True)
            self._rows = []
            self.add_column("service", key=NAME)
            for status in view.envs:
                self.add_column(Text(status.name, style=f"bold {status.colour}"), key=status.name)
            self._envs = envs
        rows = list(_rows(view, needle, wide))
        widths = column_widths(rows)
        if [k for k, _ in rows] == [k for k, _ in self._rows] and widths == self._widths:
            for (key, cells), (_, old) in zip(rows, self._rows, strict=True):
                for column, (cell, before) in enumerate(zip(cells, old, strict=True)):
                    if cell != before:  # same widths: nothing to measure (table_widths)
                        self.update_cell(key, self._column_key(column), cell)
        else:
            self._rebuild(rows, widths)
        self._rows, self._widths = rows, widths

    def _column_key(self, index: int) -> str:
        return NAME if index == 0 else self._envs[index - 1]

    def _rebuild(self, rows: list[tuple[str, Cells]], widths: tuple[int, ...]) -> None:
        keep = self._cursor_key()
        column = self.cursor_column
        refill(self, rows, widths)
        if keep is not None and any(key == keep for key, _ in rows):
            self.move_cursor(row=self.get_row_index(keep), column=column, animate=False)

    def _cursor_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key: RowKey = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return key.value

    def chosen_at_cursor(self) -> Chosen | None:
        """What the cursor is on, as a ``Chosen`` (None on an empty table)."""
        key = self._cursor_key()
        if key is None:
            return None
        column = self.cursor_column
        env = self._envs[column - 1] if column >= 1 else self._first_env_with(key)
        kind, _, rest = key.partition(":")
        cluster, _, service = rest.partition("/")
        if not env:
            return None
        if kind == "c":
            return Chosen("cluster", env, cluster=cluster)
        return Chosen("service", env, cluster=cluster, service=service)

    def _first_env_with(self, key: str) -> str:
        for row_key, cells in self._rows:
            if row_key == key:
                for env, cell in zip(self._envs, cells[1:], strict=True):
                    if cell.plain.strip() not in ("", "—", "…"):
                        return env
        return self._envs[0] if self._envs else ""

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        event.stop()
        chosen = self.chosen_at_cursor()
        if chosen is not None:
            self.post_message(chosen)


def _rows(view: EstateView, needle: str, wide: bool) -> list[tuple[str, Cells]]:
    attention_only = needle.startswith("!")
    needle = needle.lstrip("!")
    out: list[tuple[str, Cells]] = []
    pending_cluster: tuple[str, Cells] | None = None
    for concern, cluster, service in view.rows():
        if not service:
            label = Text(f"▾ {cluster}", style="bold")
            if concern != cluster:
                label.append(f" ({concern})", style="dim")
            cells = (label, *(_cluster_cell(e, cluster, wide) for e in view.envs))
            pending_cluster = (f"c:{cluster}", cells)
            if not needle and not attention_only:
                out.append(pending_cluster)
                pending_cluster = None
            continue
        found = [e.service(service) for e in view.envs]
        states = [f[1] for f in found if f and f[0].name == cluster]
        if attention_only and all(s.health.ok for s in states):
            continue
        tags = " ".join(t for s in states for t in s.tags)
        behind = "behind" if any(s.behind for s in states) else ""  # `/behind` finds them
        if not matches(needle, service, cluster, concern, tags, behind):
            continue
        if pending_cluster is not None:
            out.append(pending_cluster)
            pending_cluster = None
        cells = (
            Text(f"  {service}"),
            *(_service_cell(e, cluster, service, wide) for e in view.envs),
        )
        out.append((f"s:{cluster}/{service}", cells))
    return out


def _unavailable(status: EnvStatus) -> Text | None:
    if status.denied:
        return Text("—", style="dim")
    if status.state is None:
        return Text("…" if status.loading else "⚠", style="dim" if status.loading else "red")
    return None


def _cluster_cell(status: EnvStatus, name: str, wide: bool) -> Text:
    missing = _unavailable(status)
    if missing is not None:
        return missing
    cluster = status.state.cluster(name) if status.state else None
    if cluster is None:
        return Text("")
    return cluster_text(cluster, wide)


def cluster_text(cluster: ClusterState, wide: bool) -> Text:
    load = cluster_load(cluster)
    text = Text(no_wrap=True)
    if wide:
        text.append(spark(load.cpu_series, 10) + " ", style=level(load.cpu_used))
    text.append("cpu ", style="dim")
    text.append(pct(load.cpu_used), style=level(load.cpu_used))
    text.append(" mem ", style="dim")
    text.append(pct(load.mem_used), style=level(load.mem_used))
    if wide:
        text.append(f" · {len(cluster.instances)} hosts", style="dim")
    return text


def _service_cell(status: EnvStatus, cluster: str, name: str, wide: bool) -> Text:
    missing = _unavailable(status)
    if missing is not None:
        return missing
    found = status.service(name)
    if found is None or found[0].name != cluster:
        return Text("")
    return service_text(found[1], wide)


def service_text(service: ServiceState, wide: bool) -> Text:
    text = count_cell(service)
    if wide:
        cpu = service.utilization.cpu.latest if service.utilization.cpu else None
        text.append(f" {','.join(service.tags)}", style="dim")
        if service.behind:
            text.append(f" :{service.revision}→:{service.latest_revision}", style="yellow")
        text.append(" cpu ", style="dim")
        text.append(pct(cpu), style=level(cpu))
    return text
