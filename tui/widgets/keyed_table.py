"""A DataTable filled from keyed rows, redrawing only what changed between refreshes.

Screens call ``fill(rows)`` on every arrival; the cursor stays on the same row key, and an
unchanged table costs nothing. ``key_at_cursor`` says what the cursor is on.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

Cell = str | Text
Row = tuple[str, tuple[Cell, ...]]


class KeyedTable(DataTable[Cell]):
    """A row-cursor table with fixed columns and keyed rows."""

    def __init__(self, columns: Sequence[str], **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)  # type: ignore[arg-type]
        self._columns = tuple(columns)
        self._rows: list[Row] = []

    def on_mount(self) -> None:
        for index, label in enumerate(self._columns):
            self.add_column(label, key=str(index))

    def fill(self, rows: Sequence[Row]) -> None:
        """Show ``rows`` (key, cells); unchanged cells are left alone."""
        rows = list(rows)
        if [k for k, _ in rows] == [k for k, _ in self._rows]:
            for (key, cells), (_, old) in zip(rows, self._rows, strict=True):
                for index, (cell, before) in enumerate(zip(cells, old, strict=True)):
                    if cell != before:
                        self.update_cell(key, str(index), cell, update_width=True)
        else:
            keep = self.key_at_cursor()
            self.clear()
            for key, cells in rows:
                self.add_row(*cells, key=key)
            if keep is not None and any(k == keep for k, _ in rows):
                self.move_cursor(row=self.get_row_index(keep), animate=False)
        self._rows = rows

    def key_at_cursor(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if not self.row_count:
            return None
        try:
            return self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        except CellDoesNotExist:
            return None
