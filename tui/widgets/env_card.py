"""One environment at a glance: freshness or error, CPU and memory, services, spend.

The border is the environment's colour; a protected environment says so in the border.
An environment the user may not enter shows why instead of numbers. Clicking the card
posts ``Chosen("env", name)``.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widgets import Static

from tui.aggregate import EnvSummary, env_summary
from tui.format import ago, level, money, money_short, pct, spark
from tui.messages import Chosen
from tui.state import EnvStatus


class EnvCard(Static):
    """The card; ``status``, ``now``, ``spend`` and ``locked`` are set by the screen."""

    status: reactive[EnvStatus | None] = reactive(None)
    now: reactive[dt.datetime | None] = reactive(None)
    spend: reactive[float | None] = reactive(None)
    locked: reactive[str] = reactive("")  # why changes are off here ("" when allowed)

    def __init__(self, status: EnvStatus, **kwargs: object) -> None:
        super().__init__(id=f"env-{status.name}", classes="env-card", **kwargs)  # type: ignore[arg-type]
        self.set_reactive(EnvCard.status, status)
        self._summary: EnvSummary | None = None
        self.styles.border = ("round", status.colour)
        self.border_title = status.name

    def watch_status(self, status: EnvStatus | None) -> None:
        if status is None:
            return
        # Rolled up once per read, not on every tick of the clock.
        self._summary = env_summary(status.state) if status.state is not None else None
        self.set_class(status.denied, "-denied")
        self.set_class(bool(status.error) and not status.denied, "-error")
        self.set_class(bool(status.error) and status.state is None, "-failed")
        self.border_title = f"[b]{status.name}[/b]"

    def watch_locked(self, locked: str) -> None:
        status = self.status
        if status is None:
            return
        parts = ["protected"] if status.protected else []
        if locked:
            parts.append("read-only")
        self.border_subtitle = " · ".join(parts)

    def render(self) -> Text:
        status, now = self.status, self.now
        if status is None or now is None:
            return Text("")
        width = max(10, self.size.width)
        text = Text(no_wrap=True, overflow="ellipsis")
        if status.denied or (status.error and status.state is None):
            text = Text()
            text.append("⛔ denied\n" if status.denied else "⚠ failed\n", style="bold red")
            text.append(status.error or "", style="red")
            return text
        if status.loading:
            return Text("connecting…", style="dim italic")
        if status.error:
            text.append("⚠ ", style="bold red")
            text.append(f"{ago(status.updated_at, now)} old: ", style="red")
            text.append((status.error or "").splitlines()[0], style="red")
        elif width >= 34:
            text.append(f"updated {ago(status.updated_at, now)} ago", style="dim")
            text.append(f" · {status.calls} API calls", style="dim")
        else:
            text.append(f"{ago(status.updated_at, now)} ago · {status.calls} calls", style="dim")
        summary = self._summary
        if summary is None:
            return text
        line_width = max(4, width - 22)
        text.append("\n")
        _load_line(
            text,
            "cpu",
            summary.load.cpu_used,
            summary.load.cpu_reserved,
            summary.load.cpu_series,
            line_width,
        )
        text.append("\n")
        _load_line(
            text,
            "mem",
            summary.load.mem_used,
            summary.load.mem_reserved,
            summary.load.mem_series,
            line_width,
        )
        text.append("\n")
        wide = width >= 40
        sep = " · " if wide else " "
        tasks = f"{summary.tasks}/{summary.desired}" + (" tasks" if wide else "")
        text.append(f"{summary.services} svc{sep}{tasks}")
        if summary.attention:
            text.append(
                f"{sep}{summary.attention} need attention" if wide else f" {summary.attention}!",
                style="bold red",
            )
        if self.spend is not None:
            spend = f"{money(self.spend)} MTD" if wide else money_short(self.spend)
            text.append(f"{sep}{spend}", style="bold")
        return text

    def on_click(self, event: events.Click) -> None:
        if self.status is not None:
            self.post_message(Chosen("env", self.status.name))


def _load_line(
    text: Text,
    label: str,
    used: float | None,
    reserved: float | None,
    series: tuple[float, ...],
    width: int,
) -> None:
    text.append(f"{label} ")
    text.append(f"{pct(used):>4}", style=level(used))
    text.append(f" res {pct(reserved):>4} ", style="dim")
    text.append(spark(series, width), style=level(used))
