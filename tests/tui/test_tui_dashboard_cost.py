"""What an idle dashboard redraws (issue 14): unchanged rows are not rewritten, rows that only
moved are not rebuilt, widths are known without re-measuring, the env card's age line stays
the same between reads, and completing reads wait for every first frame.

Widget behaviour on a bare app (no AWS needed); the reads' call counts are tested on the
sandbox in ``tests/estate/test_listing_pace.py`` and ``test_tui_refresh.py``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from tui_pilot import loaded

from tui.first_reads import FirstReads
from tui.widgets.env_card import fresh_ago
from tui.widgets.keyed_table import KeyedTable, Row
from tui.widgets.table_widths import column_widths

pytestmark = pytest.mark.anyio


class Counting(KeyedTable):
    """A KeyedTable that counts the writes it makes."""

    def __init__(self) -> None:
        super().__init__(["time", "what"], id="t")
        self.updates: list[tuple[str, str]] = []
        self.clears = 0

    def update_cell(self, row_key: Any, column_key: Any, value: Any, **kwargs: Any) -> None:
        self.updates.append((str(row_key), str(column_key)))
        super().update_cell(row_key, column_key, value, **kwargs)

    def clear(self, columns: bool = False) -> Any:
        self.clears += 1
        return super().clear(columns)


class One(App[None]):
    def compose(self) -> ComposeResult:
        yield Counting()


def feed(*lines: tuple[str, str, str]) -> list[Row]:
    return [(key, (Text(at), Text(what))) for key, at, what in lines]


def shown(table: KeyedTable) -> list[str]:
    return [str(table.coordinate_to_cell_key(Coordinate(i, 0)).row_key.value)
            for i in range(table.row_count)]  # fmt: skip


def plain(table: KeyedTable, row: str, column: str) -> str:
    cell = table.get_cell(row, column)
    return cell.plain if isinstance(cell, Text) else cell


async def test_an_unchanged_fill_writes_nothing_and_a_changed_cell_only_itself() -> None:
    app = One()
    async with app.run_test() as pilot:
        table = app.query_one(Counting)
        rows = feed(("a", "14:00:01", "started 1 task"), ("b", "14:00:00", "steady state"))
        table.fill(rows)
        await pilot.pause()
        clears, table.updates = table.clears, []
        table.fill(feed(("a", "14:00:01", "started 1 task"), ("b", "14:00:00", "steady state")))
        assert table.updates == [] and table.clears == clears
        table.fill(feed(("a", "14:00:09", "started 1 task"), ("b", "14:00:00", "steady state")))
        assert table.updates == [("a", "0")] and table.clears == clears
        assert plain(table, "a", "0") == "14:00:09"


async def test_rows_that_only_moved_are_moved_in_place_and_the_cursor_keeps_its_row() -> None:
    app = One()
    async with app.run_test() as pilot:
        table = app.query_one(Counting)
        table.fill(feed(("x", "14:00:02", "deregistered 1 targets"), ("y", "14:00:01", "unable")))
        await pilot.pause()
        table.move_cursor(row=1)  # on "y"
        clears = table.clears
        # a crash loop's two folded lines swap places as their newest events alternate
        table.fill(feed(("y", "14:00:05", "unable"), ("x", "14:00:02", "deregistered 1 targets")))
        await pilot.pause()
        assert table.clears == clears  # not rebuilt
        assert shown(table) == ["y", "x"]
        assert table.key_at_cursor() == "y"
        assert plain(table, "y", "0") == "14:00:05"


async def test_widths_follow_the_widest_cell_without_measuring_columns_again() -> None:
    app = One()
    async with app.run_test() as pilot:
        table = app.query_one(Counting)
        table.fill(feed(("a", "1", "a long line of text"), ("b", "2", "short")))
        await pilot.pause()
        width = table.columns[table.ordered_columns[1].key].content_width
        assert width == len("a long line of text")
        clears = table.clears
        table.fill(feed(("a", "1", "a long line of text"), ("b", "2", "tiny")))  # narrower
        await pilot.pause()
        assert table.clears == clears and table.updates[-1] == ("b", "1")
        table.fill(feed(("a", "1", "a longer line of text, now"), ("b", "2", "tiny")))  # wider
        await pilot.pause()
        assert table.clears == clears + 1  # rebuilt: every cell measured once
        wide = table.columns[table.ordered_columns[1].key].content_width
        assert wide == len("a longer line of text, now")
        table.fill(feed(("a", "1", "short again"), ("b", "2", "tiny")))  # the widest shrank
        await pilot.pause()
        assert table.columns[table.ordered_columns[1].key].content_width == len("short again")


def test_column_widths_are_the_widest_line_of_each_column() -> None:
    rows = [("a", (Text("12"), "x")), ("b", (Text("1\n12345"), "xyz")), ("c", (Text(""), ""))]
    assert column_widths(rows) == (5, 3)
    assert column_widths([]) == ()


def test_the_card_age_stays_the_same_between_reads_and_counts_once_late() -> None:
    read = dt.datetime(2026, 3, 1, 14, 0, 0, tzinfo=dt.UTC)
    ages = [fresh_ago(read, read + dt.timedelta(seconds=s), 5.0) for s in range(10)]
    assert set(ages) == {"<10s"}  # two refresh periods: one text, nothing to redraw
    assert fresh_ago(read, read + dt.timedelta(seconds=12), 5.0) == "12s"
    assert fresh_ago(read, read + dt.timedelta(minutes=3), 5.0) == "3m"
    assert fresh_ago(None, read, 5.0) == "-"


def test_completing_reads_wait_for_every_first_read() -> None:
    firsts = FirstReads(["dev", "stage", "prod"], wait=30.0)
    released: list[bool] = []
    waiter = threading.Thread(target=lambda: released.append(firsts.wait()))
    waiter.start()
    firsts.done("dev")
    firsts.done("stage")
    waiter.join(0.2)
    assert waiter.is_alive() and not released  # prod's first frame is still out
    firsts.done("prod")
    waiter.join(30.0)
    assert released == [True]


def test_a_first_read_that_never_comes_holds_the_others_no_longer_than_the_wait() -> None:
    firsts = FirstReads(["dev", "prod"], wait=0.05)
    firsts.done("dev")
    assert firsts.wait() is False


async def test_the_overview_feed_waits_for_its_pace_but_not_for_the_journal(
    fake_app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.screens import overview

    monkeypatch.setattr(overview, "FEED_SECONDS", 3600.0)  # never due by the clock here
    app = fake_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await loaded(pilot)
        screen = app.screen
        feed_table = screen.query_one("#overview-feed", KeyedTable)
        filled: list[int] = []
        fill = feed_table.fill

        def counted(rows: Any) -> None:
            filled.append(1)
            fill(rows)

        monkeypatch.setattr(feed_table, "fill", counted)
        view = app.estate
        moved = dataclasses.replace(  # the same estate as new objects: as if events moved
            view,
            envs=tuple(
                dataclasses.replace(e, state=dataclasses.replace(e.state)) if e.state else e
                for e in view.envs
            ),
        )
        app.estate = moved
        await pilot.pause()
        assert filled == []  # an arrival within the feed's pace: the matrix only
        assert app.journal
        app.journal = app.journal[1:]  # the journal moved: shown at once
        await pilot.pause()
        assert filled == [1]
