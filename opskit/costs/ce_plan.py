"""Cost Explorer requests for a report, planned within its two-GroupBy limit.

Every report needs LINKED_ACCOUNT (-> environment) and RECORD_TYPE (-> charge); ``--by``
adds SERVICE and TAG groups. GetCostAndUsage groups by at most two of them, so the planner
puts the last two in GroupBy and turns the rest into filters: it first asks which values of
those exist (one request grouped by them), then asks once per existing combination. With
``--by env`` that is one request; ``env,service`` 1 + one per account; ``env,service,tag``
1 + one per (account, record type) that has cost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from opskit.costs.spec import SERVICE, TAG_PREFIX, ReportSpec, period_bounds

API_METRICS = {
    "unblended": "UnblendedCost",
    "amortized": "AmortizedCost",
    "net": "NetAmortizedCost",
}
PRICE_PER_REQUEST = 0.01  # USD, each page counts


@dataclass(frozen=True, order=True)
class Group:
    """One GroupBy key: a DIMENSION (LINKED_ACCOUNT, RECORD_TYPE, SERVICE) or a TAG."""

    kind: str
    key: str

    @property
    def column(self) -> str:
        """The raw-frame column this group fills."""
        if self.kind == "TAG":
            return TAG_PREFIX + self.key
        return {"LINKED_ACCOUNT": "account", "RECORD_TYPE": "line_type", "SERVICE": "product"}[
            self.key
        ]

    def api(self) -> dict[str, str]:
        return {"Type": self.kind, "Key": self.key}

    def value(self, raw: str) -> str:
        """A group key as returned (tags come back ``key$value``; untagged ``key$``)."""
        if self.kind == "TAG":
            return raw.split("$", 1)[1] if "$" in raw else raw
        return raw

    def only(self, value: str) -> dict[str, Any]:
        """A filter expression selecting this group's ``value``."""
        if self.kind == "TAG":
            if value == "":
                return {"Tags": {"Key": self.key, "MatchOptions": ["ABSENT"]}}
            return {"Tags": {"Key": self.key, "Values": [value], "MatchOptions": ["EQUALS"]}}
        return {"Dimensions": {"Key": self.key, "Values": [value], "MatchOptions": ["EQUALS"]}}


ACCOUNT_GROUP = Group("DIMENSION", "LINKED_ACCOUNT")
RECORD_GROUP = Group("DIMENSION", "RECORD_TYPE")
SERVICE_GROUP = Group("DIMENSION", "SERVICE")


def groups_for(spec: ReportSpec) -> list[Group]:
    """The groups a report needs, lowest cardinality first (those are split into filters)."""
    groups = [ACCOUNT_GROUP, RECORD_GROUP]
    if SERVICE in spec.by:
        groups.append(SERVICE_GROUP)
    groups += [Group("TAG", tag) for tag in spec.tags]
    return groups


def combine(*parts: dict[str, Any] | None) -> dict[str, Any] | None:
    """``And`` of the given expressions (CE rejects an ``And`` of one)."""
    present = [p for p in parts if p]
    flat: list[dict[str, Any]] = []
    for part in present:
        flat += part["And"] if set(part) == {"And"} else [part]
    if not flat:
        return None
    return flat[0] if len(flat) == 1 else {"And": flat}


def time_period(spec: ReportSpec) -> dict[str, str]:
    """Start of the first period to the end of the last (exclusive), never past tomorrow."""
    start, _ = period_bounds(spec.periods[0])
    _, end = period_bounds(spec.periods[-1])
    end = min(end, spec.today + dt.timedelta(days=1))
    return {"Start": start.isoformat(), "End": end.isoformat()}


def usage_request(
    spec: ReportSpec, groups: list[Group], where: dict[str, Any] | None
) -> dict[str, Any]:
    """GetCostAndUsage parameters (without NextPageToken)."""
    if len(groups) > 2:
        raise ValueError("Cost Explorer groups by at most two keys")
    params: dict[str, Any] = {
        "TimePeriod": time_period(spec),
        "Granularity": "MONTHLY",
        "Metrics": list(API_METRICS.values()),
        "GroupBy": [g.api() for g in groups],
    }
    if where:
        params["Filter"] = where
    return params


def forecast_request(account: str, today: dt.date) -> dict[str, Any] | None:
    """GetCostForecast parameters for the rest of the month (None on its last day)."""
    start = today + dt.timedelta(days=1)
    end = (today.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
    if start >= end:
        return None
    return {
        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
        "Metric": "AMORTIZED_COST",
        "Granularity": "MONTHLY",
        "PredictionIntervalLevel": 80,
        "Filter": ACCOUNT_GROUP.only(account),
    }
