"""The bill joined to the journal: which change moved a service's daily run rate.

No cost tool knows who scaled what; the audit journal does. Steps are found in the daily
spend of each environment × service (the bill's ``service`` tag, the ECS service name): a
day whose following days' median differs from the preceding days' median by more than
``MIN_STEP`` dollars and ``MIN_SHARE`` of the level before. Each step is matched to an
applied change journaled in the same environment, for the same service, on the step day
or the day either side (billing hours and change times straddle midnight). A step with
no such change is shown as unexplained.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SIDE_DAYS = 3  # days each side of a candidate step
MIN_STEP = 1.0  # $/day
MIN_SHARE = 0.1  # of the level before
MATCH_DAYS = 1  # a change this many days either side of the step explains it
KINDS = frozenset({"scale", "deploy", "rollback", "restart", "promote"})


@dataclass(frozen=True)
class Cause:
    """An applied change from the journal, as the report names it."""

    change_id: str
    kind: str
    what: str  # e.g. "scale api 6→8"
    user: str
    at: dt.datetime


@dataclass(frozen=True)
class Step:
    """A step in one environment × service's daily run rate, and what explains it."""

    environment: str
    service: str
    day: dt.date
    before: float
    after: float
    change: Cause | None = None

    @property
    def delta(self) -> float:
        return self.after - self.before

    def cause(self) -> str:
        if self.change is None:
            return "unexplained: no journaled change"
        c = self.change
        return f"`{c.what}` by {c.user} (change {c.change_id[:8]}…)"

    def text(self) -> str:
        """ "prod api +$41.00/day from 2026-11-03: `scale api 6→8` by alice (change …)"."""
        sign = "+" if self.delta >= 0 else "-"
        head = f"{self.environment} {self.service} {sign}${abs(self.delta):,.2f}/day"
        return f"{head} from {self.day.isoformat()}: {self.cause()}"


def find_steps(series: Mapping[dt.date, float]) -> list[tuple[dt.date, float, float]]:
    """Steps in one daily series: (first day at the new level, level before, level after).

    Missing days count as zero spend; the last day alone is no new level. Of candidate
    days within ``SIDE_DAYS`` of each other, the largest change wins, and of equal changes
    the day spend itself jumped.
    """
    if not series:
        return []
    first, last = min(series), max(series)
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    values = [float(series.get(d, 0.0)) for d in days]
    candidates = []
    for i in range(1, len(days) - 1):  # a new level needs two days to be one
        before = statistics.median(values[max(0, i - SIDE_DAYS) : i])
        after = statistics.median(values[i : i + SIDE_DAYS])
        change = after - before
        if abs(change) >= MIN_STEP and abs(change) >= MIN_SHARE * abs(before):
            jump = abs(values[i] - values[i - 1])
            candidates.append((round(abs(change), 6), jump, i, before, after))
    chosen: list[tuple[int, float, float]] = []
    for _, _, i, before, after in sorted(candidates, reverse=True):
        if all(abs(i - j) >= SIDE_DAYS for j, _, _ in chosen):
            chosen.append((i, before, after))
    return [(days[i], b, a) for i, b, a in sorted(chosen)]


def causes(entries: Iterable[Any]) -> list[tuple[str, str, Cause]]:
    """(environment, service, cause) for each applied change in the journal's entries
    (``opskit.audit.ChangeEntry``), one per diffed service."""
    out = []
    for entry in entries:
        if entry.status != "applied":
            continue
        first: dict[str, Any] = entry.first
        kind = str(first.get("change", ""))
        if kind not in KINDS:
            continue
        try:
            at = dt.datetime.fromisoformat(str(first.get("at", "")).replace("Z", "+00:00"))
        except ValueError:
            continue
        user = str(first.get("who", {}).get("user", "")) or "unknown"
        diffs = first.get("what", {}).get("diffs", []) or []
        services = _services(first, diffs)
        for service in services:
            what = _describe(kind, service, diffs, str(first.get("summary", "")))
            change_id = str(first.get("change_id", entry.change_id))
            out.append((entry.env, service, Cause(change_id, kind, what, user, at)))
    return out


def _services(first: Mapping[str, Any], diffs: Sequence[Mapping[str, Any]]) -> list[str]:
    named = first.get("params", {}).get("service")
    found = [
        str(d.get("resource", "")).split("/")[-1]
        for d in diffs
        if "/service/" in str(d.get("resource", ""))
    ]
    names = list(dict.fromkeys([*([str(named)] if named else []), *found]))
    return [n for n in names if n]


def _describe(kind: str, service: str, diffs: Sequence[Mapping[str, Any]], summary: str) -> str:
    for diff in diffs:
        if diff.get("field") == "desiredCount" and str(diff.get("resource", "")).endswith(service):
            return f"{kind} {service} {diff.get('before')}→{diff.get('after')}"
    return summary or f"{kind} {service}"


def explain(
    daily: pd.DataFrame,
    entries: Iterable[Any],
    value: str = "amortized",
    until: dt.date | None = None,
) -> list[Step]:
    """Steps in ``daily`` (day, environment, service, ``value``) joined to journal entries.

    Days from ``until`` on are left out: today's bill is still filling in (AWS refreshes
    it a few times a day), and a half-billed day is no drop."""
    known = causes(entries)
    steps: list[Step] = []
    if daily.empty:
        return steps
    keyed = daily.assign(_day=daily["day"].astype(str).str[:10])
    if until is not None:
        keyed = keyed[keyed["_day"] < until.isoformat()]
    grouped = keyed.groupby(["environment", "service", "_day"], as_index=False)[value].sum()
    series: dict[tuple[str, str], dict[dt.date, float]] = {}
    for env, service, day, amount in grouped.itertuples(index=False, name=None):
        day_of = dt.date.fromisoformat(str(day))
        series.setdefault((str(env), str(service)), {})[day_of] = float(amount)
    for (env, service), points in sorted(series.items()):
        for day, before, after in find_steps(points):
            near = [
                c
                for e, s, c in known
                if e == env and s == service and abs((c.at.date() - day).days) <= MATCH_DAYS
            ]
            best = min(near, key=lambda c: abs((c.at.date() - day).days), default=None)
            steps.append(Step(env, service, day, before, after, best))
    return steps
