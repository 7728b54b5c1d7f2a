"""The sections every human format of a cost report shows, built once from the report.

Spend by environment per month, the last complete month by the requested breakdown,
charges (credits, tax, refunds, support on their own lines), month-over-month drivers,
untagged share, the forecast. ``render`` lays them out as text; ``html`` as a page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opskit.costs.analysis import compared_periods
from opskit.costs.labels import CHARGES
from opskit.costs.spec import CHARGE, ENVIRONMENT, PERIOD, SERVICE, TAG_PREFIX

if TYPE_CHECKING:
    from opskit.costs.model import CostReport

TOP_ROWS = 25


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


def header(report: CostReport) -> str:
    periods = report.spec.periods
    span = f"{periods[0]} to {periods[-1]}" if periods else "no months"
    return (
        f"Cost by environment, {span}, source {report.spec.source}, by {', '.join(report.spec.by)}"
    )
