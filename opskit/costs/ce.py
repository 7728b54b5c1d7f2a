"""The Cost Explorer backend: planned requests, every page, counted, priced and cached.

Pagination follows ``NextPageToken`` until AWS stops returning one (peers lose pages by
looking for ``nextToken``); a page may continue a month started on the page before, so
groups are collected per page, never assumed to arrive whole. Each page is a billed request
($0.01); answers are cached on disk for ``[costs].cache_hours`` so a repeated report is
free. Denied requests become one AuthError line.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from opskit.aws import ce
from opskit.aws.errors import error_code
from opskit.costs import ce_plan
from opskit.costs.cache import DiskCache
from opskit.costs.ce_plan import API_METRICS, Group
from opskit.costs.meter import Meter
from opskit.costs.spec import ReportSpec

if TYPE_CHECKING:
    import pandas as pd
    from types_boto3_ce import CostExplorerClient

Row = dict[str, Any]


class CostExplorer:
    """Runs a report's Cost Explorer requests through one client (the ops account's)."""

    def __init__(
        self,
        client: CostExplorerClient,
        cache: DiskCache | None,
        meter: Meter,
        scope: str,
        refresh: bool = False,
    ) -> None:
        self.client, self.cache, self.meter, self.scope, self.refresh = (
            client,
            cache,
            meter,
            scope,
            refresh,
        )
        self.where = f"Cost Explorer in the ops account ({scope})"

    # -- requests ---------------------------------------------------------------------

    def _call(self, operation: ce.Operation, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Every page of one request (from the cache when fresh)."""
        key = {"operation": operation, "scope": self.scope, "params": params}
        if self.cache is not None:
            cached = self.cache.get(key, self.refresh)
            if cached is not None:
                self.meter.ce(cached=len(cached))
                return list(cached)
        pages = ce.pages(
            self.client, operation, params, self.where, lambda: self.meter.ce(requests=1)
        )
        if self.cache is not None:
            self.cache.put(key, pages)
        return pages

    def rows(
        self, spec: ReportSpec, groups: list[Group], where: dict[str, Any] | None, fixed: Row
    ) -> list[Row]:
        """Raw rows of one planned request (all its pages)."""
        pages = self._call("get_cost_and_usage", ce_plan.usage_request(spec, groups, where))
        out: list[Row] = []
        for page in pages:
            for result in page.get("ResultsByTime", []):
                period = str(result["TimePeriod"]["Start"])[:7]
                for group in result.get("Groups", []):
                    row: Row = {"period": period, "product": "", **fixed}
                    for g, key in zip(groups, group["Keys"], strict=True):
                        row[g.column] = g.value(key)
                    for metric, name in API_METRICS.items():
                        row[metric] = float(group["Metrics"].get(name, {}).get("Amount", 0.0))
                    out.append(row)
        return out

    def collect(
        self,
        spec: ReportSpec,
        groups: list[Group],
        where: dict[str, Any] | None = None,
        fixed: Row | None = None,
    ) -> list[Row]:
        """Rows for any number of groups: the first ones become filters, found by asking."""
        fixed = fixed or {}
        if len(groups) <= 2:
            return self.rows(spec, groups, where, fixed)
        split, rest = groups[: len(groups) - 2], groups[len(groups) - 2 :]
        combos = sorted(
            {
                tuple(row[g.column] for g in split)
                for row in self.collect(spec, split, where, fixed)
                if any(row[m] != 0 for m in API_METRICS)
            }
        )
        out: list[Row] = []
        for combo in combos:
            narrowed = ce_plan.combine(
                where, *(g.only(v) for g, v in zip(split, combo, strict=True))
            )
            values = {g.column: v for g, v in zip(split, combo, strict=True)}
            out += self.collect(spec, rest, narrowed, {**fixed, **values})
        return out

    def report(self, spec: ReportSpec) -> pd.DataFrame:
        """The raw frame (period, account, line_type, product, reservation, tags, metrics)."""
        import pandas as pd

        groups = ce_plan.groups_for(spec)
        rows = self.collect(spec, groups)
        columns = [
            "period",
            "account",
            "line_type",
            "product",
            "reservation",
            *(g.column for g in groups if g.kind == "TAG"),
            *API_METRICS,
        ]
        frame = pd.DataFrame(rows, columns=list(dict.fromkeys(columns)))
        frame["reservation"] = False
        return frame

    def forecast(self, accounts: list[str], today: dt.date) -> dict[str, float]:
        """Forecast amortized cost for the rest of the month, per account (Cost Explorer's)."""
        out: dict[str, float] = {}
        for account in accounts:
            params = ce_plan.forecast_request(account, today)
            if params is None:
                out[account] = 0.0
                continue
            try:
                pages = self._call("get_cost_forecast", params)
            except Exception as error:
                cause = error.__cause__ or error
                if error_code(cause) == "DataUnavailableException":
                    continue  # too little history for this account: no forecast
                raise
            out[account] = float(pages[0]["Total"]["Amount"])
        return out
