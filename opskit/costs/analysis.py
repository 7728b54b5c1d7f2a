"""Questions asked of the tidy frame: totals, shared-cost allocation, month-over-month
drivers, untagged share and the end-of-month forecast. Pure pandas, no AWS.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from opskit.costs.labels import RUNNING, USAGE
from opskit.costs.spec import (
    CHARGE,
    ENVIRONMENT,
    PERIOD,
    SERVICE,
    UNMAPPED,
    UNTAGGED,
    days_billed,
)

if TYPE_CHECKING:
    import pandas as pd

FORECAST_WINDOW_DAYS = 7


def shared_weights(
    frame: pd.DataFrame,
    rule: str,
    shared_env: str,
    envs: Sequence[str],
    shares: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """Per period, the share of the shared cost each environment takes (period, to, share).

    ``proportional``: by each environment's amortized usage that month; ``fixed``: by the
    configured weights, normalised. ``none``: no rows (nothing moves).
    """
    import pandas as pd

    columns = [PERIOD, "to", "share"]
    if rule == "fixed" and shares:
        total = sum(shares.values())
        rows = [(p, env, w / total) for p in frame[PERIOD].unique() for env, w in shares.items()]
        return pd.DataFrame(rows, columns=columns)
    if rule != "proportional" or frame.empty:
        return pd.DataFrame(columns=columns)
    basis = frame[
        (frame[CHARGE] == USAGE)
        & frame[ENVIRONMENT].isin(envs)
        & (frame[ENVIRONMENT] != shared_env)
    ]
    by_env = basis.groupby([PERIOD, ENVIRONMENT])["amortized"].sum().reset_index()
    by_env = by_env[by_env["amortized"] > 0]
    by_env["share"] = by_env["amortized"] / by_env.groupby(PERIOD)["amortized"].transform("sum")
    return by_env.rename(columns={ENVIRONMENT: "to"})[columns]


def spread(
    frame: pd.DataFrame, weights: pd.DataFrame, shared_env: str, values: Sequence[str]
) -> pd.DataFrame:
    """``frame`` with ``shared_env``'s rows split over environments by ``weights``.

    Moved rows keep every other column (the ops account id among them, so they stay
    traceable); periods without weights keep the shared rows as they are.
    """
    import pandas as pd

    if weights.empty or frame.empty:
        return frame
    shared = frame[frame[ENVIRONMENT] == shared_env]
    rest = frame[frame[ENVIRONMENT] != shared_env]
    joined = shared.merge(weights, on=PERIOD, how="left")
    kept = joined[joined["share"].isna()].drop(columns=["to", "share"])
    moved = joined[joined["share"].notna()].copy()
    for value in values:
        moved[value] = moved[value] * moved["share"]
    moved[ENVIRONMENT] = moved["to"]
    moved = moved.drop(columns=["to", "share"])
    keys = [c for c in frame.columns if c not in values]
    merged = pd.concat([rest, kept, moved], ignore_index=True)
    return merged.groupby(keys, as_index=False, sort=True)[list(values)].sum()[list(frame.columns)]


def env_order(frame: pd.DataFrame, configured: Sequence[str], shared_env: str) -> list[str]:
    """Environments in display order: configured ones, the ops account, then the rest."""
    present = set(frame[ENVIRONMENT].unique()) if not frame.empty else set()
    order = [e for e in (*configured, shared_env) if e in present]
    others = sorted(present - set(order) - {UNMAPPED})
    return order + others + ([UNMAPPED] if UNMAPPED in present else [])


def totals(
    frame: pd.DataFrame, metric: str = "amortized", order: Sequence[str] = ()
) -> pd.DataFrame:
    """Spend per period (rows) and environment (columns), with a total column."""
    pivot = frame.pivot_table(
        index=PERIOD, columns=ENVIRONMENT, values=metric, aggfunc="sum", fill_value=0.0
    )
    columns = [c for c in order if c in pivot.columns] + [
        c for c in pivot.columns if c not in order
    ]
    pivot = pivot[columns]
    pivot["total"] = pivot.sum(axis=1)
    pivot.columns.name = None
    return pivot


def compared_periods(
    frame: pd.DataFrame, today: dt.date, chosen: tuple[str, str] | None = None
) -> tuple[str, str] | None:
    """The pair to compare: ``chosen`` (``--compare``), else the last complete period and
    the one before it (None with fewer than two)."""
    if chosen is not None:
        return chosen
    current = f"{today.year:04d}-{today.month:02d}"
    periods = sorted(p for p in frame[PERIOD].unique() if p < current) if not frame.empty else []
    return (periods[-2], periods[-1]) if len(periods) >= 2 else None


def complete_periods(frame: pd.DataFrame, today: dt.date) -> list[str]:
    """The complete periods with data, oldest first."""
    current = f"{today.year:04d}-{today.month:02d}"
    return sorted(p for p in frame[PERIOD].unique() if p < current) if not frame.empty else []


def per_day_drivers(
    frame: pd.DataFrame,
    pair: tuple[str, str] | None,
    today: dt.date,
    metric: str = "amortized",
    top: int | None = 10,
) -> pd.DataFrame:
    """What moved most between two periods, compared as spend per billed day.

    A 30-day month after a 31-day one is not a 3 % saving: each period's spend is divided
    by the days it bills (all of a complete month, the days to date of the current one),
    and the change is the change in that daily run rate. The monthly sums come along.
    """
    import pandas as pd

    what = SERVICE if SERVICE in frame.columns else CHARGE
    columns = [
        ENVIRONMENT,
        what,
        "previous",
        "current",
        "previous_per_day",
        "current_per_day",
        "delta_per_day",
        "delta_pct",
        "delta",
    ]
    if pair is None or frame.empty:
        return pd.DataFrame(columns=columns)
    before, after = pair
    sub = frame[frame[PERIOD].isin(pair)].astype({metric: "float64"})
    pivot = sub.pivot_table(
        index=[ENVIRONMENT, what], columns=PERIOD, values=metric, aggfunc="sum", fill_value=0.0
    )
    out = pd.DataFrame({"previous": pivot.get(before, 0.0), "current": pivot.get(after, 0.0)})
    out["previous_per_day"] = out["previous"] / days_billed(before, today)
    out["current_per_day"] = out["current"] / days_billed(after, today)
    out["delta_per_day"] = out["current_per_day"] - out["previous_per_day"]
    base = out["previous_per_day"].where(out["previous_per_day"] != 0)
    out["delta_pct"] = (out["delta_per_day"] / base) * 100
    out["delta"] = out["current"] - out["previous"]
    out = out[out["delta_per_day"].abs() > 0.0005].reset_index()
    order = out["delta_per_day"].abs().sort_values(ascending=False).index
    out = out.reindex(order)
    if top is not None:
        out = out.head(top)
    out.attrs["periods"] = pair
    return out[columns].reset_index(drop=True)


def mom_drivers(
    frame: pd.DataFrame,
    today: dt.date,
    metric: str = "amortized",
    top: int = 10,
    chosen: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """What moved most (per day) between the chosen pair or the last two complete months."""
    return per_day_drivers(frame, compared_periods(frame, today, chosen), today, metric, top)


def window_movers(
    frame: pd.DataFrame, today: dt.date, metric: str = "amortized", top: int = 10
) -> pd.DataFrame:
    """The largest movers over the whole window: first complete month to the last, per day."""
    periods = complete_periods(frame, today)
    pair = (periods[0], periods[-1]) if len(periods) >= 2 else None
    return per_day_drivers(frame, pair, today, metric, top)


def untagged_share(frame: pd.DataFrame, tag_column: str, metric: str = "amortized") -> pd.DataFrame:
    """Per period and environment: the share of usage cost without a value for the tag."""
    usage = frame[frame[CHARGE] == USAGE]
    total = usage.groupby([PERIOD, ENVIRONMENT])[metric].sum()
    untagged = usage[usage[tag_column] == UNTAGGED].groupby([PERIOD, ENVIRONMENT])[metric].sum()
    share = (untagged.reindex(total.index, fill_value=0.0) / total.where(total != 0)).fillna(0.0)
    return share.unstack(ENVIRONMENT).fillna(0.0)


def run_rate(daily: Sequence[float]) -> float:
    """Spend per day from recent daily totals: the median (robust to a monthly one-off)."""
    return float(statistics.median(daily)) if daily else 0.0


def days_left(last_day: dt.date) -> int:
    """Days of the month after ``last_day``."""
    return calendar.monthrange(last_day.year, last_day.month)[1] - last_day.day


def forecast_from_daily(
    month_to_date: Mapping[str, float],
    daily: pd.DataFrame,
    today: dt.date,
    metric: str = "amortized",
) -> pd.DataFrame:
    """End-of-month forecast per environment: month to date + run rate × days left.

    The run rate is the median daily spend on recurring charges (usage, commitments) over
    the last ``FORECAST_WINDOW_DAYS`` days with data; one-offs (tax, credits, support) are
    not extrapolated.
    """
    import pandas as pd

    rows = []
    recent = daily[daily[CHARGE].isin(RUNNING)] if not daily.empty else daily
    last = max(recent["day"]) if not recent.empty else today
    last_day = dt.date.fromisoformat(str(last)[:10])
    window = [last_day - dt.timedelta(days=i) for i in range(FORECAST_WINDOW_DAYS)]
    for env, mtd in month_to_date.items():
        mine = recent[recent[ENVIRONMENT] == env] if not recent.empty else recent
        per_day: dict[str, float] = {}
        if not mine.empty:
            summed = mine.groupby(mine["day"].astype(str).str[:10])[metric].sum()
            per_day = {str(k): float(v) for k, v in summed.items()}
        values = [per_day.get(d.isoformat(), 0.0) for d in window]
        rest = run_rate(values) * days_left(last_day) if last_day.month == today.month else 0.0
        rows.append((env, mtd, rest, mtd + rest))
    return pd.DataFrame(rows, columns=[ENVIRONMENT, "month_to_date", "rest_of_month", "forecast"])


def month_to_date(
    frame: pd.DataFrame, today: dt.date, metric: str = "amortized"
) -> dict[str, float]:
    """Spend so far this month per environment."""
    current = f"{today.year:04d}-{today.month:02d}"
    sub = frame[frame[PERIOD] == current]
    return {str(k): float(v) for k, v in sub.groupby(ENVIRONMENT)[metric].sum().items()}
