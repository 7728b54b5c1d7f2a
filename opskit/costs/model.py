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
from opskit.costs.spec import TAG_PREFIX, UNMAPPED, ReportSpec

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
    built_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def totals_by_env(self, metric: str = "amortized") -> pd.DataFrame:
        """Spend per month (rows) and environment (columns), plus a total."""
        return analysis.totals(self.frame, metric, self.env_order)

    def mom_drivers(self, metric: str = "amortized", top: int = 10) -> pd.DataFrame:
        """What moved most between the last two complete months."""
        return analysis.mom_drivers(self.frame, self.spec.today, metric, top)

    def forecast(self) -> pd.DataFrame:
        """Month to date and the forecast to the end of the month, per environment."""
        return self.forecast_frame

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
        if self.spec.current_period in self.spec.periods:
            out.append(
                f"{self.spec.current_period} is month to date (to {self.spec.today.isoformat()})"
            )
        return out
