"""The sandbox Datadog's metric queries, answered from moto's CloudWatch data.

Datadog's AWS integration names CloudWatch metrics ``aws.<namespace>.<metric>`` and turns
dimensions into lower-case tags (ClusterName -> ``clustername``). This module reverses that
for the metrics opskit and its monitors use, reading the datapoints the simulator put into
moto's in-process CloudWatch backend of the account the query names (``aws_account:``, or
``env:`` through the sandbox's environments; every account when neither is given).

Supported query grammar (one or more, comma separated):
``<space agg>:<metric>{<tag:value>,…|*} [by {<tag>,…}] [.rollup(<time agg>[, <seconds>])]``.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# Datadog metric -> (CloudWatch namespace, metric name, dimensions that must be absent).
METRICS: dict[str, tuple[str, str, frozenset[str]]] = {
    "aws.ecs.cpuutilization": ("AWS/ECS", "CPUUtilization", frozenset({"servicename"})),
    "aws.ecs.memory_utilization": ("AWS/ECS", "MemoryUtilization", frozenset({"servicename"})),
    "aws.ecs.service.cpuutilization": ("AWS/ECS", "CPUUtilization", frozenset()),
    "aws.ecs.service.memory_utilization": ("AWS/ECS", "MemoryUtilization", frozenset()),
    "aws.ecs.cpureservation": ("AWS/ECS", "CPUReservation", frozenset({"servicename"})),
    "aws.ecs.memory_reservation": ("AWS/ECS", "MemoryReservation", frozenset({"servicename"})),
    "aws.ec2.cpuutilization": ("AWS/EC2", "CPUUtilization", frozenset()),
    "aws.applicationelb.request_count": ("AWS/ApplicationELB", "RequestCount", frozenset()),
    "aws.applicationelb.httpcode_target_5xx": (
        "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", frozenset(),
    ),
    "aws.applicationelb.un_healthy_host_count": (
        "AWS/ApplicationELB", "UnHealthyHostCount", frozenset(),
    ),
    "aws.applicationelb.healthy_host_count": (
        "AWS/ApplicationELB", "HealthyHostCount", frozenset(),
    ),
    "aws.applicationelb.target_response_time.average": (
        "AWS/ApplicationELB", "TargetResponseTime", frozenset(),
    ),
}  # fmt: skip
_AGGREGATORS: dict[str, Callable[[list[float]], float]] = {
    "avg": lambda v: sum(v) / len(v),
    "max": max,
    "min": min,
    "sum": sum,
    "count": lambda v: float(len(v)),
}
_QUERY = re.compile(
    r"^(?P<agg>\w+):(?P<metric>[\w.]+)\{(?P<scope>[^}]*)\}"
    r"(?:\s*by\s*\{(?P<by>[^}]*)\})?"
    r"(?:\.rollup\((?P<rollup>\w+)(?:\s*,\s*(?P<interval>\d+))?\))?$"
)
MAX_POINTS = 1500


class QueryError(ValueError):
    """A query the sandbox cannot answer (Datadog would answer 400 for most of these)."""


@dataclass(frozen=True)
class MetricQuery:
    """One parsed metric query."""

    text: str
    space_agg: str
    metric: str
    scope: tuple[tuple[str, str], ...]
    by: tuple[str, ...]
    rollup: str
    interval: int | None


def _dimension_key(name: str) -> str:
    """How Datadog tags a CloudWatch dimension: ClusterName -> clustername, InstanceId ->
    instance_id (compared without underscores)."""
    return name.lower().replace("_", "")


def parse(text: str) -> list[MetricQuery]:
    """The queries in ``text``; QueryError naming the first part that does not parse."""
    out = []
    for index, part in enumerate(_split_top_level(text)):
        match = _QUERY.match(part.strip())
        if match is None:
            raise QueryError(f"Error parsing query: query {index} ({part.strip()!r})")
        agg, rollup = match["agg"], match["rollup"] or "avg"
        if agg not in _AGGREGATORS or rollup not in _AGGREGATORS:
            raise QueryError(f"Error parsing query: unknown aggregator in {part.strip()!r}")
        scope = []
        for item in filter(None, (s.strip() for s in match["scope"].split(","))):
            if item == "*":
                continue
            key, sep, value = item.partition(":")
            if not sep:
                raise QueryError(f"Error parsing query: tag {item!r} needs key:value")
            scope.append((key.lower(), value))
        by = tuple(b.strip().lower() for b in (match["by"] or "").split(",") if b.strip())
        interval = int(match["interval"]) if match["interval"] else None
        out.append(MetricQuery(part.strip(), agg, match["metric"], tuple(scope), by, rollup,
                               interval))  # fmt: skip
    return out


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


Datum = Any  # moto.cloudwatch.models.MetricDatum / MetricAggregatedDatum
DataSource = Callable[[str, str], Iterable[Datum]]


def moto_metric_data(account_id: str, region: str) -> list[Datum]:
    """The datapoints in moto's in-process CloudWatch backend of one account and region."""
    from moto.cloudwatch.models import cloudwatch_backends

    return list(cloudwatch_backends[account_id][region].metric_data)


def _value(datum: Datum) -> float:
    if hasattr(datum, "value"):
        return float(datum.value)
    return float(datum.sum) / max(float(datum.sample_count), 1.0)


def evaluate(
    query: MetricQuery,
    start: int,
    end: int,
    accounts: Mapping[str, str],
    regions: Iterable[str],
    data: DataSource = moto_metric_data,
    index: int = 0,
) -> list[dict[str, Any]]:
    """Datadog series (MetricsQueryMetadata JSON) for one query over [start, end] seconds.

    ``accounts`` maps environment names to account ids (for ``env:`` tags and for queries
    that name no account).
    """
    if query.metric not in METRICS:
        return []  # an unknown metric is no data, as in Datadog
    namespace, name, absent = METRICS[query.metric]
    tags = dict(query.scope)
    account_ids = _accounts(tags, accounts)
    region_list = [tags["region"]] if "region" in tags else list(regions)
    dims_wanted = {_dimension_key(k): v for k, v in tags.items()
                   if k not in ("aws_account", "env", "region")}  # fmt: skip
    interval = query.interval or max(60, math.ceil((end - start) / MAX_POINTS / 60) * 60)
    # group -> source series -> bucket -> values
    groups: dict[tuple[str, ...], dict[tuple[Any, ...], dict[int, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for account in account_ids:
        for region in region_list:
            for datum in data(account, region):
                if datum.namespace != namespace or datum.name != name:
                    continue
                when = int(datum.timestamp.timestamp())
                if not start <= when <= end:
                    continue
                dims = {_dimension_key(str(d.name)): str(d.value) for d in datum.dimensions}
                if any(k in dims for k in absent):
                    continue
                if any(dims.get(k) != v for k, v in dims_wanted.items()):
                    continue
                extra = {"aws_account": account, "region": region}
                group = tuple(f"{b}:{dims.get(_dimension_key(b), extra.get(b, 'n/a'))}"
                              for b in query.by)  # fmt: skip
                source = (account, region, tuple(sorted(dims.items())))
                bucket = start + (when - start) // interval * interval
                groups[group][source][bucket].append(_value(datum))
    return [
        _series(query, group, sources, interval, index)
        for group, sources in sorted(groups.items())
    ]


def _accounts(tags: Mapping[str, str], accounts: Mapping[str, str]) -> list[str]:
    if "aws_account" in tags:
        return [tags["aws_account"]]
    if "env" in tags:
        return [accounts[tags["env"]]] if tags["env"] in accounts else []
    return sorted(set(accounts.values()))


def _series(
    query: MetricQuery,
    group: tuple[str, ...],
    sources: Mapping[Any, Mapping[int, list[float]]],
    interval: int,
    index: int,
) -> dict[str, Any]:
    time_agg, space_agg = _AGGREGATORS[query.rollup], _AGGREGATORS[query.space_agg]
    buckets: dict[int, list[float]] = defaultdict(list)
    for per_bucket in sources.values():
        for bucket, values in per_bucket.items():
            buckets[bucket].append(time_agg(values))
    points = [[float(b * 1000), space_agg(v)] for b, v in sorted(buckets.items())]
    scope = ",".join([f"{k}:{v}" for k, v in query.scope] + list(group)) or "*"
    return {
        "metric": query.metric,
        "display_name": query.metric,
        "expression": query.text,
        "scope": scope,
        "tag_set": list(group),
        "pointlist": points,
        "start": int(points[0][0]) if points else 0,
        "end": int(points[-1][0]) if points else 0,
        "interval": interval,
        "length": len(points),
        "aggr": query.space_agg,
        "query_index": index,
        "unit": None,
    }
