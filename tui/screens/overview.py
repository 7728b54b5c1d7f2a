"""The home screen: one card per environment, then the clusters × environments matrix.

Wide terminals get more per cell (sparklines, tags, CPU); ``w`` toggles that by hand.
Enter on a cell opens that service (or cluster) in that column's environment.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from typing import ClassVar

from textual import events
from textual.binding import BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Static

from tui import bindings
from tui.feed import feed_items, spans_days
from tui.messages import Navigate
from tui.screens.base import DashScreen
from tui.screens.feed import FEED_COLUMNS, feed_row
from tui.state import EstateView
from tui.widgets.env_card import EnvCard
from tui.widgets.estate_table import EstateTable
from tui.widgets.keyed_table import KeyedTable

WIDE_COLUMN = 34  # cells per environment column before the wide layout kicks in
TALL = 40  # rows before the overview also shows the latest changes and events
FEED_ROWS = 12
# The feed under the matrix is a summary (``f`` opens the live one): its ECS events are
# refilled at most this often, changes in the journal at once. On the sandbox some event
# arrives nearly every tick, and each refill redraws the whole table.
FEED_SECONDS = 15.0


class OverviewScreen(DashScreen):
    """Every environment at once."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.OVERVIEW]

    def __init__(self) -> None:
        super().__init__()
        self.wide: bool | None = None  # None: decided by the width
        self._shown: tuple[object, ...] = ()  # filter, width, size, journal, states last drawn
        self._feed_at = float("-inf")  # when the feed below the matrix was last filled
        self._feed_timer: Timer | None = None
        self._feed_envs: tuple[str, ...] = ()  # the environments whose data it holds

    def body(self) -> Iterable[Widget]:
        with Horizontal(id="env-cards"):
            for status in self.dash.estate.envs:
                yield EnvCard(status, self.dash.settings.refresh_seconds)
        yield EstateTable(id="estate")
        yield Static("latest changes and events (f: the whole feed)", id="overview-feed-title")
        yield KeyedTable(FEED_COLUMNS, id="overview-feed")

    def ready(self) -> None:
        self.watch(self.app, "journal", lambda _: self.show(self.dash.estate), init=False)
        self.tick(self.dash.now)
        self.query_one(EstateTable).focus()

    def _is_wide(self) -> bool:
        if self.wide is not None:
            return self.wide
        envs = max(1, len(self.dash.settings.envs))
        return (self.size.width - 24) // envs >= WIDE_COLUMN

    def show(self, view: EstateView) -> None:
        spend = view.spend or {}
        for status in view.envs:
            card = self.query_one(f"#env-{status.name}", EnvCard)
            card.status = status
            card.spend = spend.get(status.name)
            card.locked = self.dash.change_block(status.name)
        shown = (
            self.needle,
            self._is_wide(),
            self.size,
            self.dash.journal,
            *(e.state for e in view.envs),
        )
        if (
            len(shown) == len(self._shown)
            and shown[:3] == self._shown[:3]
            and all(a is b for a, b in zip(shown[3:], self._shown[3:], strict=True))
        ):
            return  # nothing moved (same objects): the table and the feed stay as they are
        layout_or_journal_moved = (
            not self._shown or shown[:3] != self._shown[:3] or shown[3] is not self._shown[3]
        )
        self._shown = shown
        self.query_one(EstateTable).show(view, self.needle, self._is_wide())
        self.set_class(self.size.height >= TALL, "-tall")
        if self.size.height < TALL:
            return
        wait = FEED_SECONDS - (time.monotonic() - self._feed_at)
        arrived = _arrived(view)  # an environment's first data: its events show at once
        if layout_or_journal_moved or wait <= 0 or arrived != self._feed_envs:
            self._fill_feed()
        elif self._feed_timer is None:  # the events that arrived show when the wait is over
            self._feed_timer = self.set_timer(wait, self._fill_feed)

    def _fill_feed(self) -> None:
        """The latest changes and events under the matrix."""
        if self._feed_timer is not None:
            self._feed_timer.stop()
            self._feed_timer = None
        self._feed_at = time.monotonic()
        self._feed_envs = _arrived(self.dash.estate)
        view = self.dash.estate
        colours = {e.name: e.colour for e in view.envs}
        items = feed_items(view, self.dash.journal, FEED_ROWS, now=self.dash.now)
        rows = [feed_row(i, colours, spans_days(items)) for i in items]
        self.query_one("#overview-feed", KeyedTable).fill(rows)

    def tick(self, now: dt.datetime) -> None:
        for card in self.query(EnvCard):
            card.now = now

    def on_resize(self, event: events.Resize) -> None:
        self.show(self.dash.estate)

    def action_open(self) -> None:
        chosen = self.query_one(EstateTable).chosen_at_cursor()
        if chosen is not None:
            self.chosen(chosen)

    def action_environment(self) -> None:
        """Pick an environment (its number, or arrows and enter); the cursor's is first."""
        from tui.screens.menu import MenuScreen

        chosen = self.query_one(EstateTable).chosen_at_cursor()
        envs = list(self.dash.settings.envs)
        if chosen and chosen.env in envs and self.query_one(EstateTable).cursor_column:
            envs.remove(chosen.env)
            envs.insert(0, chosen.env)
        items = []
        for number, env in enumerate(envs, 1):
            status = self.dash.estate.env(env)
            why = status.error if status and status.error else ""
            where = f"account {status.state.account}" if status and status.state else ""
            items.append((env, str(number), f"{env}  {why or where}".rstrip()))

        def done(env: str | None) -> None:
            if env:
                self.post_message(Navigate("env", env))

        self.app.push_screen(MenuScreen("Open an environment", items), done)

    def action_logs(self) -> None:
        """Logs of the service under the cursor, in the cursor's environment."""
        chosen = self.query_one(EstateTable).chosen_at_cursor()
        if chosen is None or chosen.kind != "service" or not chosen.env:
            self.notify("put the cursor on a service's environment cell for its logs", timeout=3)
            return
        from tui.screens.logs import LogsScreen

        self.app.push_screen(LogsScreen(chosen.env, chosen.service))

    def action_hosts(self) -> None:
        chosen = self.query_one(EstateTable).chosen_at_cursor()
        self.post_message(
            Navigate(
                "hosts", chosen.env if chosen and self.query_one(EstateTable).cursor_column else ""
            )
        )

    def action_toggle_wide(self) -> None:
        self.wide = not self._is_wide()
        self.show(self.dash.estate)


def _arrived(view: EstateView) -> tuple[str, ...]:
    """The environments that have had data (their events can be in the feed)."""
    return tuple(e.name for e in view.envs if not e.loading)
