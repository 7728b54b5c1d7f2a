"""The end-of-month forecast, per charge class, each with the method that produced it.

A forecast must cover what the totals include, or December "falls" against November just
because tax and support post at month end. Each class has its own method, stated:

- usage and commitments recur with use: month to date plus a run rate times the days left
  (Cost Explorer's ``GetCostForecast`` for the CE source, which covers those record types;
  the median daily spend of the last seven days for CUR and Athena). The run rate is one
  figure for both; it is split between them by their month-to-date shares.
- support, tax and credits post once the month closes: their share of usage and
  commitments in the last complete month, applied to this month's forecast of those (tax
  and credits per environment; support, billed on the whole organisation's spend, as a
  share of every environment's usage and commitments, posted where it was posted).
- refunds, one-off fees, discounts and the rest are not extrapolated: month to date only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from opskit.costs.analysis import FORECAST_WINDOW_DAYS, days_left, run_rate
from opskit.costs.labels import COMMITMENT, CREDIT, RUNNING, SUPPORT, TAX, USAGE
from opskit.costs.spec import CHARGE, ENVIRONMENT, PERIOD, period_of, shift_period

if TYPE_CHECKING:
    import pandas as pd

SHARED_CLASSES = (SUPPORT, TAX, CREDIT)  # forecast as a share of usage and commitments
COLUMNS = [ENVIRONMENT, CHARGE, "month_to_date", "rest_of_month", "forecast", "method"]


def _daily_rates(
    daily: pd.DataFrame, today: dt.date, metric: str
) -> tuple[dict[str, float], dt.date]:
    """Median daily spend on usage and commitments per environment, and the last day read."""
    recent = daily[daily[CHARGE].isin(RUNNING)] if not daily.empty else daily
    last = max(recent["day"]) if not recent.empty else today
    last_day = dt.date.fromisoformat(str(last)[:10])
    window = [last_day - dt.timedelta(days=i) for i in range(FORECAST_WINDOW_DAYS)]
    rates: dict[str, float] = {}
    for env in set(recent[ENVIRONMENT]) if not recent.empty else set():
        mine = recent[recent[ENVIRONMENT] == env]
        summed = mine.groupby(mine["day"].astype(str).str[:10])[metric].sum()
        per_day = {str(k): float(v) for k, v in summed.items()}
        rates[str(env)] = run_rate([per_day.get(d.isoformat(), 0.0) for d in window])
    return rates, last_day


def by_class(
    frame: pd.DataFrame,
    today: dt.date,
    *,
    daily: pd.DataFrame | None = None,
    ce_rest: Mapping[str, float] | None = None,
    metric: str = "amortized",
) -> pd.DataFrame:
    """Forecast rows (environment, charge, month_to_date, rest_of_month, forecast, method).

    ``ce_rest`` is Cost Explorer's forecast of the rest of the month per environment; without
    it the run rate comes from ``daily`` (tidy daily rows of recent days).
    """
    import pandas as pd

    current = period_of(today)
    previous = shift_period(current, -1)
    now = frame[frame[PERIOD] == current]
    mtd = now.groupby([ENVIRONMENT, CHARGE])[metric].sum()
    last = frame[frame[PERIOD] == previous].groupby([ENVIRONMENT, CHARGE])[metric].sum()
    envs = sorted({str(e) for e in now[ENVIRONMENT]})
    if ce_rest is not None:
        rest_running = {env: float(ce_rest.get(env, 0.0)) for env in envs}
        running_method = "Cost Explorer GetCostForecast"
    else:
        empty = pd.DataFrame(columns=["day", ENVIRONMENT, CHARGE, metric])
        rates, last_day = _daily_rates(daily if daily is not None else empty, today, metric)
        left = days_left(last_day) if last_day.month == today.month else 0
        rest_running = {env: rates.get(env, 0.0) * left for env in envs}
        running_method = f"median daily spend of the last {FORECAST_WINDOW_DAYS} days × days left"
    rows: list[tuple[str, str, float, float, float, str]] = []
    org_running = float(now[now[CHARGE].isin(RUNNING)][metric].sum()) + sum(rest_running.values())
    closed = frame[frame[PERIOD] == previous]
    org_base = float(closed[closed[CHARGE].isin(RUNNING)][metric].sum())
    for env in envs:

        def so_far(charge: str, env: str = env) -> float:
            return float(mtd.get((env, charge), 0.0))

        running_mtd = so_far(USAGE) + so_far(COMMITMENT)
        running_rest = rest_running.get(env, 0.0)
        for charge in (USAGE, COMMITMENT):
            share = so_far(charge) / running_mtd if running_mtd else float(charge == USAGE)
            rest = running_rest * share
            if not share and not float(last.get((env, charge), 0.0)):
                continue  # neither billed now nor last month
            method = running_method + (", split by month-to-date shares" if share < 1 else "")
            rows.append((env, charge, so_far(charge), rest, so_far(charge) + rest, method))
        base = float(last.get((env, USAGE), 0.0)) + float(last.get((env, COMMITMENT), 0.0))
        for charge in SHARED_CLASSES:
            before = float(last.get((env, charge), 0.0))
            whole = charge == SUPPORT
            of, basis = ("every environment's", org_base) if whole else ("its", base)
            if basis and before:
                share = before / basis
                total = share * (org_running if whole else running_mtd + running_rest)
                method = f"{share * 100:.2f}% of {of} usage and commitments, as in {previous}"
                rows.append((env, charge, so_far(charge), total - so_far(charge), total, method))
            elif so_far(charge):
                rows.append((env, charge, so_far(charge), 0.0, so_far(charge), "month to date"))
        for charge in sorted({str(c) for e, c in mtd.index if e == env} - {USAGE, COMMITMENT}):
            if charge in SHARED_CLASSES:
                continue
            amount = so_far(charge)
            rows.append((env, charge, amount, 0.0, amount, "one-off: month to date only"))
    return pd.DataFrame(rows, columns=COLUMNS)


def totals(classes: pd.DataFrame) -> pd.DataFrame:
    """Per environment: month to date, rest of month, forecast (the sum of its classes)."""
    values = ["month_to_date", "rest_of_month", "forecast"]
    if classes.empty:
        import pandas as pd

        return pd.DataFrame(columns=[ENVIRONMENT, *values])
    summed = classes.groupby(ENVIRONMENT, as_index=False, sort=False)[values].sum()
    return summed[[ENVIRONMENT, *values]]
