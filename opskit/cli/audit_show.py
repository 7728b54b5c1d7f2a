"""``opskit audit show`` for people: one change as labelled lines, diffs as before → after,
the outcome with its timings, and the change's data as nested lines, never raw dicts.

``-o json`` keeps printing the records themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from opskit.audit import ChangeEntry
from opskit.changes.diff_text import short_value

STATUS_STYLE = {"applied": "bold green", "refused": "bold yellow", "incomplete": "bold yellow"}


def change_view(entry: ChangeEntry) -> Group:
    """The change as rich renderables: summary, then diffs, then its data."""
    first = entry.first
    row = entry.summary_row()
    outcome = entry.outcome or {}
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column(overflow="fold")
    head.add_row("change", f"{entry.change_id}  (plan {row.get('plan_id') or '-'})")
    head.add_row("summary", str(row.get("summary") or "-"))
    status = Text(
        str(row.get("status")), style=STATUS_STYLE.get(str(row.get("status")), "bold red")
    )
    if row.get("detail"):
        status.append(f": {row['detail']}", style="")
    head.add_row("outcome", status)
    head.add_row("at", str(row.get("at") or "-"))
    head.add_row("who", _who(first.get("who", {})))
    head.add_row("where", _where(first.get("where", {})))
    how = dict(first.get("how", {}))
    runbook = how.pop("runbook", None)
    head.add_row("how", _pairs(how))
    if runbook:
        head.add_row("runbook", _pairs(runbook))
    head.add_row("params", _pairs(first.get("params", {})))
    timings = outcome.get("timings")
    if timings:
        head.add_row("timings", timings_text(timings))
    head.add_row("records", ", ".join(f"#{r['seq']} {r['type']}" for r in entry.records))
    parts: list[Any] = [head, Text("")]
    diffs = first.get("what", {}).get("diffs", [])
    parts.append(Text(f"diffs ({len(diffs)})", style="bold"))
    parts.append(diffs_table(diffs) if diffs else Text("  (none)"))
    data = outcome.get("data")
    if data:
        parts += [Text(""), Text("data", style="bold"), Text("\n".join(data_lines(data, 1)))]
    return Group(*parts)


def diffs_table(diffs: list[Mapping[str, Any]]) -> Table:
    """One row per diff: resource, field, before → after (values shortened, full in JSON)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(overflow="fold")
    table.add_column(style="dim")
    table.add_column(overflow="fold")
    table.add_column()
    table.add_column(overflow="fold")
    for d in diffs:
        field, before, after = str(d.get("field")), d.get("before"), d.get("after")
        table.add_row(
            f"  {d.get('resource')}",
            field,
            Text(short_value(field, before, after), style="red"),
            "→",
            Text(short_value(field, after, before), style="green"),
        )
    return table


def timings_text(timings: Mapping[str, Any]) -> str:
    """``apply 1.4 s, verify 3.1 s, total 4.6 s (started …)`` from the outcome's timings."""
    parts = []
    for key, value in timings.items():
        if key.endswith("_s") and isinstance(value, int | float):
            parts.append(f"{key.removesuffix('_s')} {value:.1f} s")
    started = timings.get("started_at")
    others = [f"{k} {v}" for k, v in timings.items() if not k.endswith("_s") and k != "started_at"]
    text = ", ".join(parts + others)
    return f"{text} (started {started})" if started else text


def data_lines(value: Any, depth: int) -> list[str]:
    """Nested data as indented ``key  value`` lines (lists one item a line)."""
    pad = "  " * depth
    if isinstance(value, Mapping):
        lines = []
        for key, inner in value.items():
            if isinstance(inner, Mapping | list) and inner:
                lines.append(f"{pad}{key}")
                lines += data_lines(inner, depth + 1)
            else:
                lines.append(f"{pad}{key}  {_scalar(inner)}")
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, Mapping | list) and item:
                inner = data_lines(item, depth + 1)
                lines += [f"{pad}- {inner[0].lstrip()}", *inner[1:]]
            else:
                lines.append(f"{pad}- {_scalar(item)}")
        return lines
    return [f"{pad}{_scalar(value)}"]


def _scalar(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(_scalar(v) for v in value) or "-"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_scalar(v)}" for k, v in value.items()) or "-"
    return str(value)


def _who(who: Mapping[str, Any]) -> str:
    user = who.get("user") or "?"
    rest = {k: v for k, v in who.items() if k != "user"}
    return f"{user} ({_pairs(rest)})" if rest else str(user)


def _where(where: Mapping[str, Any]) -> str:
    env = where.get("env") or "?"
    bits = [
        f"account {where['account_id']}" if where.get("account_id") else "",
        str(where.get("region") or ""),
        f"as {where['access']}" if where.get("access") else "",
    ]
    rest = {k: v for k, v in where.items() if k not in ("env", "account_id", "region", "access")}
    text = " · ".join([env, *(b for b in bits if b)])
    return f"{text} ({_pairs(rest)})" if rest else text


def _pairs(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {_scalar(v)}" for k, v in values.items()) or "-"
