"""The sections every human format of a cost report shows, built once from the report.

Spend by environment per month, the last complete month by the requested breakdown,
charges (credits, tax, refunds, support on their own lines), month-over-month drivers,
untagged share, the forecast. ``render`` lays them out as text; ``html`` as a page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opskit.costs.analysis import compared_periods, complete_periods
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


def period_label(report: CostReport, period: str) -> str:
    """A period as a reader must see it: a partial month says so and how far it goes."""
    partial = report.partial_periods().get(period)
    return f"{period} (to date, {partial[0]}/{partial[1]} days)" if partial else period


def _movers(title: str, drivers: Any, pair: tuple[str, str], report: CostReport) -> Section:
    what = drivers.columns[1]
    before, after = (period_label(report, p) for p in pair)
    explained = {(e.environment, e.service): e for e in report.explained}
    rows = []
    for _, r in drivers.iterrows():
        step = explained.get((r[ENVIRONMENT], r[what]))
        rows.append(
            [
                r[ENVIRONMENT],
                r[what],
                money(r["previous_per_day"]),
                money(r["current_per_day"]),
                money(r["delta_per_day"]),
                percent(r["delta_pct"]),
                *([step.text() if step else ""] if report.explained else []),
            ]
        )
    headers = [ENVIRONMENT, str(what), f"{before} /day", f"{after} /day", "change /day", "%"]
    if report.explained:
        headers.append("explained by")
    return Section(title, headers, rows)


def sections(
    report: CostReport, metric: str = "amortized", top: int | None = TOP_ROWS
) -> list[Section]:
    """The report's sections, with numbers already formatted (``top``: rows of the long
    breakdown shown; None shows every row)."""
    out: list[Section] = []
    totals = report.totals_by_env(metric)
    out.append(
        Section(
            f"Spend by environment per month ({metric}, USD)",
            ["period", *map(str, totals.columns)],
            [
                [period_label(report, str(p)), *(money(v) for v in row)]
                for p, row in zip(totals.index, totals.to_numpy(), strict=True)
            ],
        )
    )
    frame = report.frame
    complete = complete_periods(frame, report.spec.today)
    focus = complete[-1] if complete else (report.spec.periods[-1] if report.spec.periods else "")
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
        cut = top is not None and len(rows) > top
        note = f"… {len(rows) - (top or 0)} more rows in --output csv/json/html" if cut else ""
        shown = rows[:top] if top is not None else rows
        title = f"{period_label(report, focus)} by {', '.join(dims)}"
        out.append(Section(title, [*dims, metric], shown, note))
        charges = month.pivot_table(
            index=ENVIRONMENT, columns=CHARGE, values=metric, aggfunc="sum", fill_value=0.0
        )
        kinds = [c for c in CHARGES if c in charges.columns]
        order = [e for e in report.env_order if e in charges.index]
        out.append(
            Section(
                f"{period_label(report, focus)} by charge",
                [ENVIRONMENT, *kinds],
                [[env, *(money(charges.loc[env, k]) for k in kinds)] for env in order],
            )
        )
    drivers = report.mom_drivers(metric, top=10 if top is not None else None)
    pair = compared_periods(frame, report.spec.today, report.spec.compare)
    if pair and not drivers.empty:
        title = f"Month over month per day: {pair[0]} -> {pair[1]}, top movers"
        out.append(_movers(title, drivers, pair, report))
    movers = report.window_movers(metric, top=10 if top is not None else None)
    if len(complete) > 2 and not movers.empty:
        span = (complete[0], complete[-1])
        title = f"Largest movers over the window per day: {span[0]} -> {span[1]}"
        out.append(_movers(title, movers, span, report))
    unexplained = [s for s in report.explained if s.change is None]
    explained = [s for s in report.explained if s.change is not None]
    if report.explained:
        out.append(
            Section(
                "Run-rate steps joined to the audit journal",
                [ENVIRONMENT, "service", "from", "change /day", "explained by"],
                [
                    [s.environment, s.service, s.day.isoformat(), money(s.delta), s.cause()]
                    for s in [*explained, *unexplained]
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
                f"Forecast to the end of {report.spec.current_period} (amortized, every charge)",
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
        classes = report.forecast_by_class()
        if CHARGE in classes.columns:
            out.append(
                Section(
                    f"Forecast of {report.spec.current_period} by charge class, and its method",
                    [ENVIRONMENT, CHARGE, "month to date", "rest of month", "forecast", "method"],
                    [
                        [
                            r[ENVIRONMENT],
                            r[CHARGE],
                            money(r["month_to_date"]),
                            money(r["rest_of_month"]),
                            money(r["forecast"]),
                            r["method"],
                        ]
                        for _, r in classes.iterrows()
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
