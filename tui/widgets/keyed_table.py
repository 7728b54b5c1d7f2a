"""A DataTable filled from keyed rows, redrawing only what changed between refreshes.

Screens call ``fill(rows)`` on every arrival; the cursor stays on the same row key, and an
unchanged table costs nothing: only changed cells are written, rows that only moved are
moved in place, and the table is rebuilt only when rows came or went or a column's width
changed (``table_widths``). ``key_at_cursor`` says what the cursor is on.

Any column sorts (``o`` moves the sort to the next column, ``O`` reverses it, a click on a
header sorts by it), numbers as numbers (``20%``, ``300s``, ``3/4``); the sort holds
across refreshes. ``c`` copies the id under the cursor (OSC 52) and says what it copied.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

from tui import bindings
from tui.widgets.table_widths import column_widths, refill

Cell = str | Text
Row = tuple[str, tuple[Cell, ...]]
_NUMBER = re.compile(r"^[-+]?\d+(\.\d+)?")


def sort_key(cell: Cell) -> tuple[int, float, str]:
    """Numbers before text, numbers by value (``9%`` < ``10%``), text case-insensitively."""
    text = cell.plain if isinstance(cell, Text) else str(cell)
    text = text.strip()
    number = _NUMBER.match(text)
    if number:
        return (0, float(number.group()), text.lower())
    return (1, 0.0, text.lower())


def copy_text(key: str) -> str:
    """What ``c`` copies for a row key: the id itself (``change:ab12`` -> ``ab12``,
    ``name|type|set`` -> ``name``)."""
    return key.split("|", 1)[0].removeprefix("change:")


class KeyedTable(DataTable[Cell]):
    """A row-cursor table with fixed columns and keyed rows."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.TABLE]

    def __init__(self, columns: Sequence[str], **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._columns = tuple(columns)
        self._rows: list[Row] = []
        self._given: list[Row] = []  # as the screen gave them, before sorting
        self._widths: tuple[int, ...] = ()  # what the rows shown need (table_widths)
        self.sort_column: int | None = None
        self.sort_reverse = False

    def on_mount(self) -> None:
        for index, label in enumerate(self._columns):
            self.add_column(label, key=str(index))

    def sort_by(self, column: int | None, reverse: bool = False) -> None:
        """Sort by ``column`` (None: as given), keeping it across refreshes."""
        self.sort_column, self.sort_reverse = column, reverse
        for index, label in enumerate(self._columns):
            mark = (" ▼" if reverse else " ▲") if index == column else ""
            self.columns[self.ordered_columns[index].key].label = Text(label + mark)
        self._rows = []  # redraw in the new order
        self.fill(self._given)
        self.refresh()

    def action_sort_next(self) -> None:
        if not self._columns:
            return
        column = 0 if self.sort_column is None else self.sort_column + 1
        self.sort_by(column if column < len(self._columns) else None)
        self._say_sort()

    def action_sort_reverse(self) -> None:
        self.sort_by(self.sort_column if self.sort_column is not None else 0, not self.sort_reverse)
        self._say_sort()

    def _say_sort(self) -> None:
        if self.sort_column is None:
            self.notify("sorted as read", timeout=2)
        else:
            way = "descending" if self.sort_reverse else "ascending"
            self.notify(f"sorted by {self._columns[self.sort_column]}, {way}", timeout=2)

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        event.stop()
        index = event.column_index
        self.sort_by(index, reverse=self.sort_column == index and not self.sort_reverse)

    def action_copy_id(self) -> None:
        key = self.key_at_cursor()
        if key is None:
            self.notify("nothing under the cursor to copy", timeout=3)
            return
        text = copy_text(key)
        self.app.copy_to_clipboard(text)
        self.notify(f"copied {text}", timeout=3)

    def fill(self, rows: Sequence[Row]) -> None:
        """Show ``rows`` (key, cells); unchanged cells are left alone."""
        self._given = rows = list(rows)
        if self.sort_column is not None:
            column = self.sort_column
            rows = sorted(
                rows,
                key=lambda row: sort_key(row[1][column]) if column < len(row[1]) else (2, 0, ""),
                reverse=self.sort_reverse,
            )
        widths = column_widths(rows)
        keys, shown = [k for k, _ in rows], [k for k, _ in self._rows]
        same_rows = keys == shown or (len(set(keys)) == len(keys) and set(keys) == set(shown))
        if same_rows and widths == self._widths:
            was = dict(self._rows)
            for key, cells in rows:
                for index, (cell, before) in enumerate(zip(cells, was[key], strict=True)):
                    if cell != before:  # same widths: nothing to measure (table_widths)
                        self.update_cell(key, str(index), cell)
            if keys != shown and not self._reorder(keys):
                self._rebuild(rows, widths)
        else:
            self._rebuild(rows, widths)
        self._rows, self._widths = rows, widths

    def _rebuild(self, rows: list[Row], widths: tuple[int, ...]) -> None:
        keep = self.key_at_cursor()
        refill(self, rows, widths)
        if keep is not None and any(k == keep for k, _ in rows):
            self.move_cursor(row=self.get_row_index(keep), animate=False)

    def _reorder(self, keys: list[str]) -> bool:
        """The same rows in a new order (a feed line that moved up): moved in place, not
        cleared and added again, so nothing is measured and the cursor keeps its row.
        False when rows cannot be told apart by their first cell (then: rebuild)."""
        place = {id(self.get_cell(key, "0")): index for index, key in enumerate(keys)}
        if len(place) != len(keys):
            return False
        keep = self.key_at_cursor()
        self.sort("0", key=lambda first: place[id(first)])
        if keep is not None:
            self.move_cursor(row=self.get_row_index(keep), animate=False)
        return True

    def key_at_cursor(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
