"""The change feed: every change in the audit journal and the ECS service events, live.

Rows arrive with each refresh (events) and each journal read (changes); the filter
matches environment, service, change kind, status or text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widget import Widget

from tui import bindings
from tui.feed import FeedItem, feed_items, spans_days
from tui.format import clock
from tui.screens.base import DashScreen
from tui.state import EstateView
from tui.widgets.estate_table import matches
from tui.widgets.keyed_table import KeyedTable, Row

FEED_COLUMNS = ("time", "env", "what", "subject", "status", "by / text")
STATUS_STYLE = {
    "applied": "bold green",
    "failed": "bold red",
    "rolled_back": "bold red",
    "refused": "bold yellow",
    "incomplete": "bold magenta",
}


class FeedScreen(DashScreen):
    """What changed, and what ECS said, across every environment."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.FEED]

    def crumbs(self) -> tuple[str, ...]:
        return ("feed",)

    def body(self) -> Iterable[Widget]:
        yield KeyedTable(FEED_COLUMNS, id="feed")

    def ready(self) -> None:
        self.watch(self.app, "journal", lambda _: self.show(self.dash.estate), init=False)
        self.query_one(KeyedTable).focus()

    def show(self, view: EstateView) -> None:
        colours = {e.name: e.colour for e in view.envs}
        items = [
            i
            for i in feed_items(view, self.dash.journal, now=self.dash.now)
            if matches(self.needle, i.env, i.kind, i.subject, i.status, i.text, i.who)
        ]
        dated = spans_days(items)
        self.query_one(KeyedTable).fill([feed_row(i, colours, dated) for i in items])


def feed_row(item: FeedItem, colours: dict[str, str], dated: bool = False) -> Row:
    """One feed line: time (UTC), environment, change or event, subject, outcome, text.

    Times are absolute, so a line never changes once shown (nothing to redraw per tick);
    ``dated`` adds the day (``03-01 14:30:00``) when the lines span more than one.
    """
    text = Text(no_wrap=True, overflow="ellipsis")
    if item.who:
        text.append(f"{item.who}: ", style="bold")
    text.append(item.text)
    day = item.at.astimezone(dt.UTC).strftime("%m-%d ") if dated and item.at else ""
    return (
        item.key,
        (
            Text(
                day + clock(item.at),
                style="bold" if item.pinned else "",
            ),
            Text(item.env, style=colours.get(item.env, "")),
            Text(item.kind, style="bold" if item.kind == "change" else "dim"),
            item.subject,
            Text(item.status, style=STATUS_STYLE.get(item.status, "")),
            text,
        ),
    )
