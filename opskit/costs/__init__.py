"""Cost by environment from the consolidated bill: Cost Explorer, CUR 2.0 parquet or Athena.

One report definition, three backends, one tidy pandas frame (period, environment,
account, charge, service, tag:…, unblended, amortized, net)::

    from opskit.costs import build_report
    report = build_report(workspace, months=6, by="env,service,tag:team", source="cur")
    report.frame; report.totals_by_env(); report.mom_drivers(); report.forecast()
    print(render(report, "markdown"))          # from opskit.costs.render

Importing this package is cheap: pandas and pyarrow load only when a report is built.
``month_to_date(workspace)`` reads the TUI's figures from the on-disk cache, never AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from opskit.costs.mtd import month_to_date

if TYPE_CHECKING:
    import datetime as dt

    from opskit.costs.model import CostReport, WorkspaceLike

__all__ = ["build_report", "month_to_date", "refresh_month_to_date"]


def build_report(
    workspace: WorkspaceLike,
    *,
    months: int = 6,
    by: str | Sequence[str] = ("env", "service"),
    source: str | None = None,
    refresh: bool = False,
    today: dt.date | None = None,
    compare: str | None = None,
) -> CostReport:
    """Build the cost report (see ``opskit.costs.report.build_report``)."""
    from opskit.costs.report import build_report as build

    return build(
        workspace,
        months=months,
        by=by,
        source=source,
        refresh=refresh,
        today=today,
        compare=compare,
    )


def refresh_month_to_date(workspace: WorkspaceLike) -> dict[str, float]:
    """Warm the month-to-date cache (see ``opskit.costs.report.refresh_month_to_date``)."""
    from opskit.costs.report import refresh_month_to_date as refresh

    return refresh(workspace)
