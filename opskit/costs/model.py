"""A built cost report as plain data, and what building one needs of the workspace.

``CostReport`` holds the tidy frame and what was noticed while building it, and answers
the usual questions (totals, drivers, forecast, untagged share, notes) from it. It does not
render itself: ``render.render(report, fmt)`` does, so data never depends on its views.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from opskit.costs import analysis
from opskit.costs.meter import Meter
from opskit.costs.spec import TAG_PREFIX, UNMAPPED, ReportSpec, days_billed, days_in

if TYPE_CHECKING:
    import pandas as pd

    from opskit.config import Config


class ClientSource(Protocol):
    def ops_client(self, service: str, region: str | None = None) -> Any: ...


class WorkspaceLike(Protocol):
    """What a report needs of the ``Workspace`` it is handed (``opskit.context``)."""

    @property
    def config(self) -> Config: ...

    @property
    def accounts(self) -> ClientSource: ...

    @property
    def state_dir(self) -> Path: ...


@dataclass
class CostReport:
    """A built report: the tidy ``frame`` plus what was noticed while building it."""

    spec: ReportSpec
    frame: pd.DataFrame
    forecast_frame: pd.DataFrame
    meter: Meter
    env_order: list[str]
    shared_env: str
    shared_rule: str
    missing_periods: list[str] = field(default_factory=list)
    unmapped_accounts: list[str] = field(default_factory=list)
    untagged_tag: str | None = None
    env_colours: dict[str, str] = field(default_factory=dict)
    forecast_classes: pd.DataFrame | None = None  # per environment and charge class
    explained: list[Any] = field(default_factory=list)  # run-rate steps joined to changes
    built_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def totals_by_env(self, metric: str = "amortized") -> pd.DataFrame:
        """Spend per month (rows) and environment (columns), plus a total."""
        return analysis.totals(self.frame, metric, self.env_order)

    def mom_drivers(self, metric: str = "amortized", top: int | None = 10) -> pd.DataFrame:
        """What moved most per day between the chosen pair or the last two complete months."""
        pair = analysis.compared_periods(self.frame, self.spec.today, self.spec.compare)
        return analysis.per_day_drivers(self.frame, pair, self.spec.today, metric, top)

    def window_movers(self, metric: str = "amortized", top: int | None = 10) -> pd.DataFrame:
        """The largest movers per day from the first complete month to the last."""
        periods = analysis.complete_periods(self.frame, self.spec.today)
        pair = (periods[0], periods[-1]) if len(periods) >= 2 else None
        return analysis.per_day_drivers(self.frame, pair, self.spec.today, metric, top)

    def forecast(self) -> pd.DataFrame:
        """Month to date and the forecast to the end of the month, per environment."""
        return self.forecast_frame

    def forecast_by_class(self) -> pd.DataFrame:
        """The forecast per environment and charge class, with the method of each."""
        return self.forecast_classes if self.forecast_classes is not None else self.forecast_frame

    def partial_periods(self) -> dict[str, tuple[int, int]]:
        """Periods the bill covers only in part: period -> (days billed, days in month)."""
        current = self.spec.current_period
        if current not in self.spec.periods:
            return {}
        return {current: (days_billed(current, self.spec.today), days_in(current))}

    def untagged_share(self, tag: str | None = None) -> pd.DataFrame | None:
        """Share of usage cost without ``tag`` per month and environment (needs tag in --by)."""
        key = tag or self.untagged_tag
        if key is None or TAG_PREFIX + key not in self.frame.columns:
            return None
        return analysis.untagged_share(self.frame, TAG_PREFIX + key)

    def month_to_date(self) -> dict[str, float]:
        return analysis.month_to_date(self.frame, self.spec.today)

    def notes(self) -> list[str]:
        """Things a reader must know: missing months, unmapped accounts, allocation."""
        out = []
        if self.missing_periods:
            out.append(f"no data for {', '.join(self.missing_periods)} ({self.spec.source})")
        if self.unmapped_accounts:
            accounts = ", ".join(self.unmapped_accounts)
            out.append(f"accounts not in environments.toml, shown as '{UNMAPPED}': {accounts}")
        if self.shared_rule != "none":
            rule = self.shared_rule
            out.append(f"the {self.shared_env} account's shared cost is allocated ({rule})")
        current = self.spec.current_period
        if self.spec.compare and current in self.spec.compare:
            out.append(
                f"--compare includes {current} to date: charges posted once a month (on day 1,"
                " or tax, support and credits at month end) skew its per-day rate"
            )
        for period, (days, of) in self.partial_periods().items():
            out.append(
                f"{period} is partial: month to date, {days} of {of} days"
                f" (to {self.spec.today.isoformat()}); month-over-month figures are per day"
            )
        return out
