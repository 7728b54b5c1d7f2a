"""What a cost report asks for, independent of where the bill is read.

A ``ReportSpec`` names the months (billing periods ``YYYY-MM``, oldest first), the
breakdown (``--by env,service,tag:team``) and the backend. Every backend turns the same
spec into the same tidy frame, whose columns are named here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from opskit.errors import UsageError

Source = Literal["ce", "cur", "athena"]
SOURCES: tuple[Source, ...] = ("ce", "cur", "athena")

# Columns of the tidy frame, in order: keys, then the three metrics.
PERIOD, ENVIRONMENT, ACCOUNT, CHARGE, SERVICE = (
    "period",
    "environment",
    "account",
    "charge",
    "service",
)
METRICS = ("unblended", "amortized", "net")
UNMAPPED = "unmapped"
UNTAGGED = "(untagged)"
TAG_PREFIX = "tag:"

# Words accepted in --by, and the dimension each one means.
_ALIASES = {
    "env": ENVIRONMENT,
    "environment": ENVIRONMENT,
    "account": ACCOUNT,
    "service": SERVICE,
    "charge": CHARGE,
}
_TAG_KEY = re.compile(r"^[\w.:/=+@-]{1,128}$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class ReportSpec:
    """One report: the periods, the breakdown and the backend."""

    periods: tuple[str, ...]
    by: tuple[str, ...] = (ENVIRONMENT, SERVICE)
    source: Source = "ce"
    today: dt.date = dt.date(1970, 1, 1)
    compare: tuple[str, str] | None = None  # --compare A:B (else the last complete pair)

    @property
    def tags(self) -> tuple[str, ...]:
        """Tag keys in the breakdown, without the ``tag:`` prefix."""
        return tuple(d[len(TAG_PREFIX) :] for d in self.by if d.startswith(TAG_PREFIX))

    @property
    def wants_service(self) -> bool:
        return SERVICE in self.by

    @property
    def current_period(self) -> str:
        return period_of(self.today)


def parse_by(by: str | Sequence[str]) -> tuple[str, ...]:
    """``"env,service,tag:team"`` (or a list of those words) as dimension names."""
    words = by.split(",") if isinstance(by, str) else [w for part in by for w in part.split(",")]
    dims: list[str] = []
    for raw in words:
        word = raw.strip()
        if not word:
            continue
        if word.lower().startswith(TAG_PREFIX):
            key = word[len(TAG_PREFIX) :]
            if not _TAG_KEY.match(key):
                raise UsageError(
                    f"--by: '{word}' is not a valid tag (expected tag:KEY, e.g. tag:team)"
                )
            dim = TAG_PREFIX + key
        elif word.lower() in _ALIASES:
            dim = _ALIASES[word.lower()]
        else:
            known = "env, account, service, charge, tag:KEY"
            raise UsageError(f"--by: unknown breakdown '{word}' (known: {known})")
        if dim not in dims:
            dims.append(dim)
    if not dims:
        raise UsageError("--by: name at least one breakdown, e.g. env,service")
    return tuple(dims)


def period_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def shift_period(period: str, months: int) -> str:
    """The period ``months`` after (negative: before) ``period``."""
    year, month = (int(p) for p in period.split("-"))
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def last_periods(months: int, today: dt.date) -> tuple[str, ...]:
    """The last ``months`` complete billing periods and the current (partial) one, oldest
    first: ``--months 2`` on 2026-12-07 is 2026-10, 2026-11 and 2026-12 to date."""
    if not 0 <= months <= 37:
        raise UsageError(f"--months: expected 0 to 37 complete months, got {months}")
    current = period_of(today)
    return tuple(shift_period(current, -i) for i in range(months, -1, -1))


def days_in(period: str) -> int:
    """Days in a billing period."""
    start, end = period_bounds(period)
    return (end - start).days


def days_billed(period: str, today: dt.date) -> int:
    """Days of ``period`` the bill covers on ``today``: all of a complete month, the days
    to date (today included) of the current one."""
    return today.day if period == period_of(today) else days_in(period)


def parse_compare(text: str) -> tuple[str, str]:
    """``--compare 2026-07:2026-08`` as two periods, the earlier first."""
    before, sep, after = text.strip().partition(":")
    if not sep or not _PERIOD.match(before) or not _PERIOD.match(after):
        raise UsageError(f"--compare: expected YYYY-MM:YYYY-MM, got '{text}'")
    if before == after:
        raise UsageError(f"--compare: name two different months, got '{text}'")
    return (before, after) if before < after else (after, before)


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First day of the period and first day of the next (end exclusive)."""
    if not _PERIOD.match(period):
        raise UsageError(f"not a billing period: '{period}' (expected YYYY-MM)")
    start = dt.date.fromisoformat(period + "-01")
    return start, dt.date.fromisoformat(shift_period(period, 1) + "-01")


def make_spec(
    *,
    months: int,
    by: str | Sequence[str],
    source: str,
    today: dt.date | None = None,
    compare: str | None = None,
) -> ReportSpec:
    """A validated spec; ``today`` defaults to the current UTC date. ``compare`` must name
    months inside the window."""
    if source not in SOURCES:
        raise UsageError(f"--source: expected one of {', '.join(SOURCES)}, got '{source}'")
    day = today or dt.datetime.now(dt.UTC).date()
    chosen: Source = "ce" if source == "ce" else "cur" if source == "cur" else "athena"
    periods = last_periods(months, day)
    pair = parse_compare(compare) if compare else None
    if pair:
        outside = [p for p in pair if p not in periods]
        if outside:
            window = f"{periods[0]} to {periods[-1]}"
            raise UsageError(
                f"--compare: {', '.join(outside)} {'is' if len(outside) == 1 else 'are'}"
                f" outside the report's months ({window});"
                " widen --months"
            )
    return ReportSpec(periods=periods, by=parse_by(by), source=chosen, today=day, compare=pair)
