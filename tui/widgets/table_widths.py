"""Column widths of keyed rows, so a refresh can update cells without re-measuring.

``DataTable.update_cell(update_width=True)`` re-measures a column's every cell each time a
cell gets narrower: a refresh that changes many cells of a long column (an environment's
first data on the large estate: 900 rows) costs rows × changes measurements, tens of
seconds. The tables compare the widths their rows need instead: unchanged widths mean the
cells are updated in place with no measuring at all; changed widths mean one rebuild,
which measures each cell once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text


def cell_width(cell: Text | str) -> int:
    """The cells a value takes on screen: its widest line (as the table measures it)."""
    text = cell.plain if isinstance(cell, Text) else str(cell)
    return max((cell_len(line) for line in text.split("\n")), default=0)


def column_widths(rows: Iterable[tuple[str, Sequence[Text | str]]]) -> tuple[int, ...]:
    """The widest cell of each column."""
    widths: list[int] = []
    for _, cells in rows:
        for index, cell in enumerate(cells):
            width = cell_width(cell)
            if index == len(widths):
                widths.append(width)
            elif width > widths[index]:
                widths[index] = width
    return tuple(widths)


def refill(
    table: Any, rows: Sequence[tuple[str, Sequence[Text | str]]], widths: Sequence[int]
) -> None:
    """Clear a ``DataTable`` and add ``rows`` (whose ``column_widths`` are ``widths``), each
    column as wide as its header and cells.

    The widths are set here, not left to the table's own measuring when it is next idle: a
    frame drawn before that would show every column cut to its header's width."""
    table.clear()
    for index, each in enumerate(table.columns.values()):
        widest = widths[index] if index < len(widths) else 0
        each.content_width = max(cell_width(each.label), widest)
    for key, cells in rows:
        table.add_row(*cells, key=key)
