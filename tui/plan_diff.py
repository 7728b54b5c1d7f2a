"""A plan's diffs as a reviewer reads them: per resource, ``field  before → after``.

Values are shortened (``opskit.changes.diff_text``) and long values wrap inside their
column, so the after value is on screen even at 80 columns.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from opskit.changes.diff_text import short_value
from opskit.changes.plan import Diff


def diff_renderable(diffs: Sequence[Diff]) -> RenderableType:
    """Every diff, grouped by resource, one ``field  before → after`` row each."""
    parts: list[RenderableType] = []
    resources: dict[str, list[Diff]] = {}
    for diff in diffs:
        resources.setdefault(diff.resource, []).append(diff)
    for resource, group in resources.items():
        parts.append(Text(resource, style="bold", overflow="fold"))
        table = Table.grid(padding=(0, 1), expand=True)
        table.add_column("field", style="dim", overflow="fold", max_width=24)
        table.add_column("before", ratio=1, overflow="fold")
        table.add_column("arrow", width=1)
        table.add_column("after", ratio=1, overflow="fold")
        for diff in group:
            table.add_row(
                f" {diff.field}",
                Text(short_value(diff.field, diff.before, diff.after), style="red"),
                "→",
                Text(short_value(diff.field, diff.after, diff.before), style="bold green"),
            )
        parts.append(table)
    return Group(*parts)
