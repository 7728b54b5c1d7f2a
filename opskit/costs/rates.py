"""Effective compute rates per environment, for the cost note of a capacity change's plan.

What a task-hour really costs in an environment is in its bill: the amortized cost of its
Fargate vCPU-hours and GB-hours in the last complete month, divided by the hours used
(discounts, Savings Plans and private rates included). One Cost Explorer request per
environment and month ($0.01), cached on disk for ``[costs].cache_hours``. Any failure
becomes one line for the plan's note: a plan never fails for want of a price.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from opskit.config import Config
from opskit.costs.cache import DiskCache
from opskit.costs.spec import period_bounds, period_of, shift_period
from opskit.errors import OpskitError

VCPU_USAGE, GB_USAGE = "Fargate-vCPU-Hours", "Fargate-GB-Hours"
# The hours themselves (not the tax or fees posted against the same usage type).
USAGE_RECORDS = ("Usage", "DiscountedUsage", "SavingsPlanCoveredUsage")


def rate_request(account: str, period: str) -> dict[str, Any]:
    """GetCostAndUsage parameters: one month of one account by usage type."""
    start, end = period_bounds(period)
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Granularity": "MONTHLY",
        "Metrics": ["AmortizedCost", "UsageQuantity"],
        "Filter": {
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}},
                {"Dimensions": {"Key": "RECORD_TYPE", "Values": list(USAGE_RECORDS)}},
            ]
        },
        "GroupBy": [{"Type": "DIMENSION", "Key": "USAGE_TYPE"}],
    }


def rates_from(pages: list[dict[str, Any]]) -> tuple[float, float] | None:
    """(USD per vCPU-hour, USD per GB-hour) from the answer's Fargate usage types."""
    cost = {VCPU_USAGE: 0.0, GB_USAGE: 0.0}
    hours = {VCPU_USAGE: 0.0, GB_USAGE: 0.0}
    for page in pages:
        for result in page.get("ResultsByTime", []):
            for group in result.get("Groups", []):
                usage_type = str(group["Keys"][0])
                for kind in cost:
                    if kind in usage_type:
                        cost[kind] += float(group["Metrics"]["AmortizedCost"]["Amount"])
                        hours[kind] += float(group["Metrics"]["UsageQuantity"]["Amount"])
    if not hours[VCPU_USAGE] or not hours[GB_USAGE]:
        return None
    return cost[VCPU_USAGE] / hours[VCPU_USAGE], cost[GB_USAGE] / hours[GB_USAGE]


class EffectiveRates:
    """``CapacityRates`` (``opskit.context``) from Cost Explorer in the ops account."""

    def __init__(
        self,
        config: Config,
        accounts: Any,
        state_dir: Path,
        today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date(),
    ) -> None:
        self.config, self.accounts, self.today = config, accounts, today
        self.cache = DiskCache(state_dir / "cache" / "costs" / "rates", config.costs.cache_hours)

    def rates(self, env: str) -> tuple[float, float, str] | str:
        period = shift_period(period_of(self.today()), -1)
        try:
            account = self.config.environment(env).account_id
            params = rate_request(account, period)
            key = {"operation": "rates", "scope": self.config.ops.account_id, "params": params}
            pages = self.cache.get(key, False)
            if pages is None:
                from opskit.aws import ce

                where = f"Cost Explorer in the ops account ({self.config.ops.account_id})"
                client = self.accounts.ops_client("ce")
                pages = ce.pages(client, "get_cost_and_usage", params, where)
                self.cache.put(key, pages)
        except OpskitError as error:
            return f"cost unavailable ({error})"
        found = rates_from(list(pages))
        if found is None:
            return f"no Fargate usage in {env} in {period} to take a rate from"
        return found[0], found[1], period
