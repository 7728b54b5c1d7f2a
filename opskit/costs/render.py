"""A cost report as text: table, csv, json, markdown (html lives in ``html.py``).

Every human format shows the same sections, built once here: spend by environment per
month, the last complete month by the requested breakdown, charges (credits, tax, refunds,
support on their own lines), month-over-month drivers, untagged share, the forecast, and
notes (missing months, unmapped accounts, allocation). CSV is the tidy frame itself; JSON
holds the frame and every section, for machines.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opskit.costs.analysis import compared_periods
from opskit.costs.labels import CHARGES
from opskit.costs.spec import CHARGE, ENVIRONMENT, PERIOD, SERVICE, TAG_PREFIX
from opskit.errors import UsageError

if TYPE_CHECKING:
    from opskit.costs.report import CostReport

FORMATS = ("table", "csv", "json", "markdown", "html")
TOP_ROWS = 25
_NUMBER = re.compile(r"^[-+]?[\d,]+(\.\d+)?%?$")


@dataclass
class Section:
    title: str
    headers: list[str]
    rows: list[list[Any]]
    note: str = ""


def money(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{float(value):,.2f}"


def percent(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "new"
    return f"{float(value):+.1f}%"


def sections(report: CostReport, metric: str = "amortized") -> list[Section]:
    """The report's sections, with numbers already formatted."""
    out: list[Section] = []
    totals = report.totals_by_env(metric)
    out.append(
        Section(
            f"Spend by environment per month ({metric}, USD)",
            ["period", *map(str, totals.columns)],
            [
                [str(p), *(money(v) for v in row)]
                for p, row in zip(totals.index, totals.to_numpy(), strict=True)
            ],
        )
    )
    frame = report.frame
    pair = compared_periods(frame, report.spec.today)
    focus = pair[1] if pair else (report.spec.periods[-1] if report.spec.periods else "")
    dims = [
        c
        for c in (ENVIRONMENT, SERVICE, *(TAG_PREFIX + t for t in report.spec.tags))
        if c in frame.columns
    ]
    month = frame[frame[PERIOD] == focus]
    if not month.empty:
        grouped = month.groupby(dims, as_index=False)[[metric]].sum()
        grouped = grouped.sort_values(by=metric, ascending=False)
        rows = [[*(str(r[d]) for d in dims), money(r[metric])] for _, r in grouped.iterrows()]
        note = (
            f"… {len(rows) - TOP_ROWS} more rows in --output csv/json"
            if len(rows) > TOP_ROWS
            else ""
        )
        out.append(Section(f"{focus} by {', '.join(dims)}", [*dims, metric], rows[:TOP_ROWS], note))
        charges = month.pivot_table(
            index=ENVIRONMENT, columns=CHARGE, values=metric, aggfunc="sum", fill_value=0.0
        )
        kinds = [c for c in CHARGES if c in charges.columns]
        order = [e for e in report.env_order if e in charges.index]
        out.append(
            Section(
                f"{focus} by charge",
                [ENVIRONMENT, *kinds],
                [[env, *(money(charges.loc[env, k]) for k in kinds)] for env in order],
            )
        )
    drivers = report.mom_drivers(metric)
    if pair and not drivers.empty:
        what = drivers.columns[1]
        out.append(
            Section(
                f"Month over month: {pair[0]} -> {pair[1]}, top movers",
                [ENVIRONMENT, str(what), pair[0], pair[1], "change", "%"],
                [
                    [
                        r[ENVIRONMENT],
                        r[what],
                        money(r["previous"]),
                        money(r["current"]),
                        money(r["delta"]),
                        percent(r["delta_pct"]),
                    ]
                    for _, r in drivers.iterrows()
                ],
            )
        )
    share = report.untagged_share()
    if share is not None and not share.empty:
        cols = [c for c in report.env_order if c in share.columns]
        out.append(
            Section(
                f"Untagged share of usage (no '{report.untagged_tag}' tag)",
                ["period", *cols],
                [
                    [str(p), *(f"{share.loc[p, c] * 100:.1f}%" for c in cols)]
                    for p in share.index[-3:]
                ],
            )
        )
    forecast = report.forecast()
    if not forecast.empty and report.spec.current_period in report.spec.periods:
        out.append(
            Section(
                f"Forecast to the end of {report.spec.current_period} ({metric})",
                [ENVIRONMENT, "month to date", "rest of month", "forecast"],
                [
                    [
                        r[ENVIRONMENT],
                        money(r["month_to_date"]),
                        money(r["rest_of_month"]),
                        money(r["forecast"]),
                    ]
                    for _, r in forecast.iterrows()
                ],
            )
        )
    return out


def _text_table(section: Section) -> str:
    cells = [section.headers, *section.rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(section.headers))]
    numeric = [
        all(_numeric(str(r[i])) for r in section.rows) and bool(section.rows)
        for i in range(len(widths))
    ]

    def line(row: list[Any]) -> str:
        parts = [
            str(v).rjust(w) if num else str(v).ljust(w)
            for v, w, num in zip(row, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    body = [
        line(section.headers),
        "  ".join("-" * w for w in widths),
        *(line(r) for r in section.rows),
    ]
    if section.note:
        body.append(section.note)
    return f"{section.title}\n" + "\n".join(body)


def _numeric(text: str) -> bool:
    return bool(_NUMBER.match(text)) or text in ("-", "new")


def _markdown_table(section: Section) -> str:
    def esc(value: Any) -> str:
        return str(value).replace("|", "\\|")

    lines = [f"## {section.title}", "", "| " + " | ".join(esc(h) for h in section.headers) + " |"]
    lines.append("|" + "|".join("---" for _ in section.headers) + "|")
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in section.rows]
    if section.note:
        lines += ["", f"_{section.note}_"]
    return "\n".join(lines)


def header(report: CostReport) -> str:
    periods = report.spec.periods
    span = f"{periods[0]} to {periods[-1]}" if periods else "no months"
    return (
        f"Cost by environment, {span}, source {report.spec.source}, by {', '.join(report.spec.by)}"
    )


def as_json(report: CostReport, metric: str) -> str:
    """Everything, for machines: the tidy rows and each derived table."""
    totals = report.totals_by_env(metric)
    drivers = report.mom_drivers(metric)
    share = report.untagged_share()
    meter = report.meter
    document = {
        "source": report.spec.source,
        "periods": list(report.spec.periods),
        "by": list(report.spec.by),
        "metric": metric,
        "built_at": report.built_at.isoformat(),
        "rows": json.loads(report.frame.to_json(orient="records")),
        "totals": {
            str(p): {str(k): float(v) for k, v in row.items()} for p, row in totals.iterrows()
        },
        "drivers": json.loads(drivers.to_json(orient="records")),
        "forecast": json.loads(report.forecast().to_json(orient="records")),
        "untagged_share": None if share is None else json.loads(share.to_json(orient="index")),
        "missing_periods": report.missing_periods,
        "unmapped_accounts": report.unmapped_accounts,
        "shared_allocation": report.shared_rule,
        "notes": report.notes(),
        "cost": {
            "ce_requests": meter.ce_requests,
            "ce_cached": meter.ce_cached,
            "ce_price_usd": round(meter.ce_price, 2),
            "athena_queries": meter.athena_queries,
            "athena_scanned_bytes": meter.athena_scanned,
            "cur_files": meter.cur_files,
        },
    }
    return json.dumps(document, indent=2)


def render(report: CostReport, fmt: str, metric: str = "amortized") -> str:
    """The report in one of ``FORMATS``."""
    if metric not in ("unblended", "amortized", "net"):
        raise UsageError(f"--metric: expected unblended, amortized or net, got '{metric}'")
    if fmt == "csv":
        return str(report.frame.to_csv(index=False))
    if fmt == "json":
        return as_json(report, metric)
    if fmt == "html":
        from opskit.costs.html import render_html

        return render_html(report, metric)
    if fmt not in ("table", "markdown"):
        raise UsageError(f"--output: expected one of {', '.join(FORMATS)}, got '{fmt}'")
    parts = sections(report, metric)
    notes = report.notes()
    if fmt == "markdown":
        body = [f"# {header(report)}", *(_markdown_table(s) for s in parts)]
        if notes:
            body.append("## Notes\n\n" + "\n".join(f"- {n}" for n in notes))
        return "\n\n".join(body) + "\n"
    body = [header(report), *(_text_table(s) for s in parts)]
    if notes:
        body.append("Notes\n" + "\n".join(f"- {n}" for n in notes))
    return "\n\n".join(body) + "\n"
