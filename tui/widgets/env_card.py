"""One environment at a glance: freshness or error, CPU and memory, services, spend.

The border is the environment's colour; a protected environment says so in the border.
An environment the user may not enter shows why instead of numbers. The age line is its
own widget, and while reads keep arriving it says ``updated <10s ago`` (two refresh
periods) instead of counting seconds: an idle dashboard then redraws nothing between reads
(any redraw composites the whole screen). Once a read is late the age counts again.
Clicking the card posts ``Chosen("env", name)``.
"""

from __future__ import annotations

import datetime as dt
import math

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import Static

from tui.aggregate import EnvSummary, env_summary
from tui.format import ago, level, money, money_short, pct, spark
from tui.messages import Chosen
from tui.state import EnvStatus

WIDE = 40  # content width from which the card spells things out


class EnvCard(Vertical):
    """The card; ``status``, ``now``, ``spend`` and ``locked`` are set by the screen."""

    DEFAULT_CSS = """
    EnvCard .card-age { height: 1; }
    EnvCard .card-body { height: 1fr; }
    """

    # No repaint of the card itself: its two lines redraw themselves when their text changes.
    status: reactive[EnvStatus | None] = reactive(None, init=False, repaint=False)
    now: reactive[dt.datetime | None] = reactive(None, init=False, repaint=False)
    spend: reactive[float | None] = reactive(None, init=False, repaint=False)
    locked: reactive[str] = reactive("", init=False, repaint=False)  # why changes are off

    def __init__(self, status: EnvStatus, every: float = 5.0) -> None:
        super().__init__(id=f"env-{status.name}", classes="env-card")
        self.set_reactive(EnvCard.status, status)
        self.every = every  # the refresh period: an age within two of them is "fresh"
        self._summary: EnvSummary | None = None
        self._drawn: tuple[object, ...] = ()  # the state, error and loading the body shows
        self._age_text = ""
        self.styles.border = ("round", status.colour)
        self.border_title = f"[b]{status.name}[/b]"

    def compose(self) -> ComposeResult:
        yield Static(classes="card-age")
        yield Static(classes="card-body")

    def on_mount(self) -> None:
        self._draw()

    def watch_status(self, status: EnvStatus | None) -> None:
        drawn: tuple[object, ...] = (status.error, status.loading, status.state) if status else ()
        if (
            drawn
            and len(self._drawn) == 3
            and drawn[:2] == self._drawn[:2]
            and drawn[2] is self._drawn[2]
            and self.is_mounted
        ):
            self._draw_age()  # a read where nothing moved: only the age line can change
            return
        self._drawn = drawn
        if status is not None:
            # Rolled up once per read, not on every tick of the clock.
            self._summary = env_summary(status.state) if status.state is not None else None
            self.set_class(status.denied, "-denied")
            self.set_class(bool(status.error) and not status.denied, "-error")
            self.set_class(bool(status.error) and status.state is None, "-failed")
        self._draw()

    def watch_now(self) -> None:
        self._draw_age()

    def _draw_age(self) -> None:
        """The age line, redrawn only when its text changed (one line: no layout)."""
        if not self.is_mounted:
            return
        age = self._age()
        if age.plain != self._age_text or not age.plain:
            self._age_text = age.plain
            self.query_one(".card-age", Static).update(age, layout=False)

    def watch_spend(self) -> None:
        self._draw()

    def watch_locked(self, locked: str) -> None:
        status = self.status
        parts = ["protected"] if status and status.protected else []
        if locked:
            parts.append("read-only")
        self.border_subtitle = " · ".join(parts)

    def _draw(self) -> None:
        if self.is_mounted:  # the card's size is fixed by CSS: no layout needed
            age = self._age()
            self._age_text = age.plain
            self.query_one(".card-age", Static).update(age, layout=False)
            self.query_one(".card-body", Static).update(self._body(), layout=False)

    def _width(self) -> int:
        return max(10, self.content_size.width or self.size.width)

    def _age(self) -> Text:
        status, now = self.status, self.now
        text = Text(no_wrap=True, overflow="ellipsis")
        if status is None or now is None:
            return text
        if status.denied:
            text.append("⛔ denied", style="bold red")
        elif status.error and status.state is None:
            text.append("⚠ failed", style="bold red")
        elif status.loading:
            text.append("connecting…", style="dim italic")
        elif status.error:
            text.append(f"⚠ {ago(status.updated_at, now)} old: ", style="bold red")
            text.append((status.error or "").splitlines()[0], style="red")
        elif status.unknown:
            text.append(f"{fresh_ago(status.updated_at, now, self.every)} ago · ⚠ ", style="dim")
            text.append(status.unknown, style="yellow")
        elif self._width() >= 34:
            text.append(f"updated {fresh_ago(status.updated_at, now, self.every)} ago", style="dim")
            text.append(f" · {status.calls} API calls", style="dim")
        else:
            age = fresh_ago(status.updated_at, now, self.every)
            text.append(f"{age} ago · {status.calls} calls", style="dim")
        return text

    def _body(self) -> Text:
        status, summary = self.status, self._summary
        if status is None:
            return Text()
        if status.denied or (status.error and status.state is None):
            return Text(status.error or "", style="red")
        if summary is None:
            return Text()
        width = self._width()
        wide = width >= WIDE
        text = Text(no_wrap=True, overflow="ellipsis")
        line_width = max(4, width - 18)
        load = summary.load
        _load_line(text, "cpu", load.cpu_used, load.cpu_reserved, load.cpu_series, line_width)
        text.append("\n")
        _load_line(text, "mem", load.mem_used, load.mem_reserved, load.mem_series, line_width)
        text.append("\n")
        sep = " · " if wide else " "
        tasks = f"{summary.tasks}/{summary.desired}" + (" tasks" if wide else "")
        text.append(f"{summary.services} svc{sep}{tasks}")
        if summary.standalone:
            text.append(f" +{summary.standalone}" + (" standalone" if wide else ""), style="dim")
        if summary.attention:
            needs = f"{summary.attention} need attention" if wide else f"{summary.attention}!"
            text.append(f"{sep}{needs}", style="bold red")
        if self.spend is not None:
            spend = f"{money(self.spend)} MTD" if wide else money_short(self.spend)
            text.append(f"{sep}{spend}", style="bold")
        return text

    def on_resize(self, event: events.Resize) -> None:
        self._draw()

    def on_click(self, event: events.Click) -> None:
        if self.status is not None:
            self.post_message(Chosen("env", self.status.name))


def fresh_ago(then: dt.datetime | None, now: dt.datetime, every: float) -> str:
    """``ago``, but ``<Ns`` (N: two refresh periods) while ``then`` is that recent: the
    same text from one read to the next, so the clock ticking redraws nothing."""
    bound = max(1, math.ceil(2 * every))
    if then is not None and (now - then).total_seconds() < bound:
        return f"<{bound}s"
    return ago(then, now)


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
