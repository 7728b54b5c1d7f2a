"""Helpers for driving the dashboard in tests: build an app on fixed data, wait for data.

``build_app`` gives an ``OpskitApp`` over ``tui_fake.FakeSource`` with the clock stopped at
``tui_sample.NOW`` (deterministic screens: no ages move, no AWS). ``loaded(pilot)`` waits
until every environment has arrived or failed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import tui_sample
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from tui_fake import FakeSource

from opskit.config import Config
from tui.app import OpskitApp
from tui.settings import Settings
from tui.source import Source

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"


def build_app(
    config: Config,
    source: Source | None = None,
    envs: Sequence[str] = (),
    read_only: bool = False,
    **options: Any,
) -> OpskitApp:
    settings = Settings.from_config(config, envs, read_only=read_only, clock=lambda: tui_sample.NOW)
    return OpskitApp(config, source or FakeSource(), dataclasses.replace(settings, **options))


async def until(pilot: Pilot[Any], done: Callable[[], bool], tries: int = 500) -> None:
    """Let the app run until ``done()``; after ``tries`` short pauses, fail the test with
    the errors the app showed."""
    for _ in range(tries):
        if done():
            await pilot.pause()
            return
        await pilot.pause(0.02)
    app = pilot.app
    notes = "; ".join(n.message for n in app._notifications)
    error = getattr(app, "error", "")
    raise AssertionError(f"never got there (on {app.screen}; error: {error}; notes: {notes})")


async def loaded(pilot: Pilot[Any]) -> None:
    """Wait until the login is done and every environment has arrived (or failed)."""
    app = pilot.app
    assert isinstance(app, OpskitApp)
    await until(
        pilot, lambda: app.user != "connecting…" and all(not e.loading for e in app.estate.envs)
    )
    if isinstance(app.source, FakeSource):  # it always has changes and spend
        await until(pilot, lambda: bool(app.journal) and app.estate.spend is not None)
        # Fixed data: also the completing reads (started once every first frame is in)
        # and the coalesced redraw after them, so a snapshot never catches a half-read view.
        await until(pilot, lambda: not app._inflight and app._pending is None)
        await settled_tables(pilot)


async def settled_tables(pilot: Pilot[Any]) -> None:
    """Wait until every table on screen has measured its rows (DataTable does it when idle:
    on a busy machine a screenshot could otherwise catch columns at their headers' width)."""
    from textual.widgets import DataTable

    from tui.widgets.table_widths import cell_width

    def wide_enough(table: Any) -> bool:
        for index, column in enumerate(table.columns.values()):
            cells = [table.get_row_at(row)[index] for row in range(table.row_count)]
            needed = max([cell_width(column.label), *(cell_width(c) for c in cells)])
            if column.content_width < needed:
                return False
        return True

    def measured() -> bool:
        tables = list(pilot.app.screen.query(DataTable))
        return all(not t._require_update_dimensions and wide_enough(t) for t in tables)

    await until(pilot, measured)
    await pilot.pause()


def shown(widget: Widget) -> str:
    """The text a widget shows on screen now: its visible lines (its children's, for a
    container), joined."""
    if widget.children:
        return "\n".join(shown(child) for child in widget.children)
    region = Region(0, 0, widget.outer_size.width, widget.outer_size.height)
    return "\n".join(strip.text for strip in widget.render_lines(region))
