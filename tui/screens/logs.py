"""Container logs of a service (or one task), following live, with a filter.

The app polls the library for lines after the screen's cursor every few seconds while following;
space pauses and resumes; ``/`` filters what is shown (the buffer keeps everything).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widget import Widget
from textual.widgets import Log, Static

from tui import bindings
from tui.format import clock
from tui.messages import LogsArrived, LogsWanted
from tui.screens.base import DashScreen
from tui.source import LogLine
from tui.state import EstateView

KEEP = 5000


def line_text(line: LogLine) -> str:
    return f"{clock(line.at)} {line.task[:8]} {line.message}"


class LogsScreen(DashScreen):
    """Logs, live."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.LOGS]

    def __init__(self, env: str, service: str, task: str | None = None) -> None:
        super().__init__()
        self.env = env
        self.service = service
        self.task_id = task
        self.lines: deque[LogLine] = deque(maxlen=KEEP)
        self.following = True
        self._cursor: object = None
        self._waiting = False

    def crumbs(self) -> tuple[str, ...]:
        target = f"task {self.task_id[:8]}" if self.task_id else "all tasks"
        return (self.env or "", self.service, f"logs ({target})")

    def body(self) -> Iterable[Widget]:
        yield Static(id="logs-head", classes="head")
        yield Log(id="log", max_lines=KEEP, auto_scroll=True)

    def ready(self) -> None:
        self._head()
        self.query_one(Log).focus()
        self.follow()
        self.set_interval(self.dash.settings.follow_seconds, self.follow)

    def follow(self) -> None:
        """Ask the app for the lines after the last ones seen (one request at a time)."""
        if self.following and not self._waiting:
            self._waiting = True
            self.post_message(LogsWanted(self.env or "", self.service, self.task_id, self._cursor))

    def on_logs_arrived(self, message: LogsArrived) -> None:
        self._waiting = False
        self._cursor = message.batch.cursor
        new = message.batch.lines
        self.lines.extend(new)
        shown = [line_text(line) for line in new if self._keep(line)]
        if shown:
            self.query_one(Log).write_lines(shown)
        self._head()

    def _keep(self, line: LogLine) -> bool:
        needle = self.needle.strip().lower()
        return not needle or needle in line.message.lower() or needle in line.task.lower()

    def _head(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(
            "● following" if self.following else "❚❚ paused",
            style="bold green" if self.following else "bold yellow",
        )
        text.append(f" · {len(self.lines)} lines")
        if self.needle:
            text.append(f" · filter '{self.needle}'", style="bold")
        text.append(" · space pauses", style="dim")
        self.query_one("#logs-head", Static).update(text)

    def show(self, view: EstateView) -> None:
        """Logs do not change with the estate; the filter re-renders the buffer."""

    def refilter(self) -> None:
        log = self.query_one(Log)
        log.clear()
        log.write_lines([line_text(line) for line in self.lines if self._keep(line)])
        self._head()

    def action_toggle_follow(self) -> None:
        self.following = not self.following
        self._head()

    def action_clear(self) -> None:
        self.lines.clear()
        self.query_one(Log).clear()
        self._head()
