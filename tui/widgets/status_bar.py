"""The status line above the footer: who, read-only mode, API calls, last refresh, last error."""

from __future__ import annotations

import datetime as dt

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from tui.format import clock


class StatusBar(Static):
    """One line; the app sets its attributes, it only renders them."""

    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    """

    user: reactive[str] = reactive("connecting…")
    api_calls: reactive[int] = reactive(0)
    last_refresh: reactive[dt.datetime | None] = reactive(None)
    last_seconds: reactive[float] = reactive(0.0)
    every: reactive[float] = reactive(5.0)
    mode: reactive[str] = reactive("")
    message: reactive[str] = reactive("")

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(self.user.removeprefix("sandbox user "), style="bold")
        if self.mode:
            text.append(f" │ {self.mode}", style="bold yellow")
        text.append(f" │ {self.api_calls:,} API calls │ ")
        if self.last_refresh is not None:
            text.append(f"refreshed {clock(self.last_refresh)} in {self.last_seconds:.1f}s")
        else:
            text.append("not refreshed yet")
        text.append(f", every {self.every:g}s")
        if self.message:
            text.append(f" │ {self.message}", style="bold red")
        return text
