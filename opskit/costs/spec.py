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
    """The ``months`` billing periods ending with the current one, oldest first."""
    if not 1 <= months <= 38:
        raise UsageError(f"--months: expected 1 to 38, got {months}")
    current = period_of(today)
    return tuple(shift_period(current, -i) for i in range(months - 1, -1, -1))


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
) -> ReportSpec:
    """A validated spec; ``today`` defaults to the current UTC date."""
    if source not in SOURCES:
        raise UsageError(f"--source: expected one of {', '.join(SOURCES)}, got '{source}'")
    day = today or dt.datetime.now(dt.UTC).date()
    chosen: Source = "ce" if source == "ce" else "cur" if source == "cur" else "athena"
    return ReportSpec(periods=last_periods(months, day), by=parse_by(by), source=chosen, today=day)
