"""What every full screen shares: title, status line, footer, the filter, Esc back.

A screen watches the app's ``estate`` and ``now`` and renders them in ``show``; while it is
covered by another screen it skips the work and catches up when it comes back, so a deep
stack costs nothing per refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

from tui.messages import Chosen, FilterChanged, GoBack, Navigate
from tui.state import EstateView
from tui.widgets.filter_bar import FilterBar
from tui.widgets.status_bar import StatusBar
from tui.widgets.title_bar import TitleBar
from tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.dash import Dash


class DashScreen(ReportsWorkerErrors, Screen[None]):
    """Base of the full screens; subclasses implement ``body``, ``crumbs`` and ``show``."""

    env: str | None = None  # the environment this screen is about, if one
    has_filter = True

    def __init__(self) -> None:
        super().__init__()
        self.needle = ""
        self._stale = False

    @property
    def dash(self) -> Dash:
        """The app's state (read only: changes go up as messages)."""
        return cast("Dash", self.app)

    def crumbs(self) -> tuple[str, ...]:
        return ()

    def body(self) -> Iterable[Widget]:
        return ()

    def show(self, view: EstateView) -> None:
        """Render ``view`` (called on every arrival while this screen is current)."""

    def tick(self, now: dt.datetime) -> None:
        """The clock moved (ages on screen may change)."""

    def compose(self) -> ComposeResult:
        yield TitleBar(id="title")
        if self.has_filter:
            yield FilterBar()
        yield from self.body()
        yield StatusBar(id="status")
        yield Footer()

    def on_mount(self) -> None:
        title = self.query_one(TitleBar)
        title.crumbs = self.crumbs()
        title.envs = tuple(
            (name, self.dash.config.environments[name].colour) for name in self.dash.settings.envs
        )
        self.watch(self.app, "estate", self._estate, init=False)
        self.watch(self.app, "now", self._now, init=False)
        self.watch(self.app, "user", self._status, init=False)
        self.watch(self.app, "error", self._status, init=False)
        self.watch(self.app, "unlocked", self._unlocked, init=False)
        self._status()
        self.show(self.dash.estate)
        self.ready()

    def ready(self) -> None:
        """Mounted and shown once: focus, start the screen's own workers."""

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self._status()
            self.show(self.dash.estate)
            self.tick(self.dash.now)

    def _estate(self, view: EstateView) -> None:
        if not self.is_current:
            self._stale = True
            return
        self._status()
        self.show(view)

    def _now(self, now: dt.datetime) -> None:
        if self.is_current:
            self.tick(now)

    def _unlocked(self) -> None:
        self._status()
        self.refresh_bindings()

    def _status(self, *_: object) -> None:
        bar = self.query_one(StatusBar)
        app, view = self.dash, self.dash.estate
        bar.user = app.user
        bar.api_calls = view.api_calls
        bar.last_refresh = view.last_refresh
        bar.last_seconds = view.last_refresh_seconds
        bar.every = app.settings.refresh_seconds
        bar.mode = app.mode_text(self.env)
        bar.message = app.error

    # -- filter ----------------------------------------------------------------------

    def action_filter(self) -> None:
        if self.has_filter:
            self.query_one(FilterBar).open()

    def on_filter_changed(self, message: FilterChanged) -> None:
        self.needle = message.text
        self.refilter()

    def refilter(self) -> None:
        """The filter changed: render again (screens with their own buffers override)."""
        self.show(self.dash.estate)

    async def action_back(self) -> None:
        bar = self.query(FilterBar)
        if bar and bar.first().active:
            bar.first().action_dismiss()
            return
        self.post_message(GoBack())

    # -- drill-down ------------------------------------------------------------------

    def on_chosen(self, message: Chosen) -> None:
        message.stop()
        self.chosen(message)

    def chosen(self, message: Chosen) -> None:
        """A widget says the user chose something: drill into it."""
        self.post_message(
            Navigate(message.kind, message.env, message.cluster, message.service, message.item)
        )

    def on_key(self, event: events.Key) -> None:
        """A key bound to a change that is refused here says why instead of doing nothing."""
        mine = self._bindings.copy()
        if self.app._keymap:
            mine.apply_keymap(self.app._keymap)
        for binding in mine.key_to_bindings.get(event.key, []):
            if self.check_action(binding.action, ()) is False:
                event.stop()
                self.notify(self.refusal(), severity="warning", timeout=4)
                return

    def refusal(self) -> str:
        """Why a change key does nothing on this screen."""
        return self.dash.change_block(self.env or "") or "nothing to change here"

    def may_change(self, env: str | None) -> bool:
        """Whether change actions are offered here (hidden when read-only or locked)."""
        return bool(env) and not self.dash.change_block(env or "")
