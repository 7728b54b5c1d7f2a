"""What the cost report reads of the audit journal: recent applied changes, and the join.

Costs sit beside changes (neither imports the other); both read the journal through
``opskit.audit``. CUR and Athena are read daily by service tag for the join; Cost
Explorer is left out (a daily request by tag per month costs a page per 50 groups).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opskit.audit import ChangeEntry, Journal, changes
from opskit.costs.join import SIDE_DAYS, Step, causes, explain
from opskit.costs.spec import ReportSpec, period_bounds, shift_period

if TYPE_CHECKING:
    import pandas as pd

SERVICE_TAG = "tag:service"


def recent_changes(workspace: Any, spec: ReportSpec) -> list[ChangeEntry]:
    """Applied capacity changes journaled within the report's months (none without a
    journal: a report never fails for want of one)."""
    path = getattr(workspace, "journal_path", None)
    if path is None or not path.exists():
        return []
    start, _ = period_bounds(spec.periods[0])
    since = dt.datetime.combine(start, dt.time(), dt.UTC)
    entries = changes(Journal(path).records(), since=since)
    return [e for e in entries if causes([e])]


def read_since(entries: list[ChangeEntry], spec: ReportSpec) -> dt.date:
    """The first day of daily bill the join reads: the last complete month (so steps no
    change explains show too), or a few days before the first change if that is earlier;
    never before the report's first month."""
    first = min(c.at.date() for _, _, c in causes(entries))
    start, _ = period_bounds(spec.periods[0])
    last_complete, _ = period_bounds(shift_period(spec.current_period, -1))
    return max(start, min(last_complete, first - dt.timedelta(days=SIDE_DAYS + 1)))


def explain_daily(
    daily_raw: pd.DataFrame,
    env_of: Callable[[str], str | None],
    entries: list[ChangeEntry],
    today: dt.date,
) -> list[Step]:
    """Steps in each environment × service tag's daily amortized spend, with their causes."""
    if SERVICE_TAG not in daily_raw.columns:
        return []
    tagged = daily_raw[daily_raw[SERVICE_TAG].fillna("").astype(str) != ""]
    frame = tagged.assign(
        environment=tagged["account"].astype(str).map(lambda a: env_of(a) or "unmapped"),
        service=tagged[SERVICE_TAG].astype(str),
    )[["day", "environment", "service", "amortized"]]
    return explain(frame, entries, until=today)
