"""The sandbox Datadog's metric queries, answered from moto's CloudWatch data.

Datadog's AWS integration names CloudWatch metrics ``aws.<namespace>.<metric>`` and turns
dimensions into lower-case tags (ClusterName -> ``clustername``). This module reverses that
for the metrics opskit and its monitors use, reading the datapoints the simulator put into
moto's in-process CloudWatch backend of the account the query names (``aws_account:``, or
``env:`` through the sandbox's environments; every account when neither is given).
The simulator's data lives in the indexed store the sandbox keeps behind moto's CloudWatch
(``estate_cloudwatch``); ``sandbox_series`` reads it (or moto's own list without it).

Supported query grammar (one or more, comma separated):
``<space agg>:<metric>{<tag:value>,…|*} [by {<tag>,…}] [.rollup(<time agg>[, <seconds>])]``.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Datadog metric -> (CloudWatch namespace, metric name, dimension tags it needs, tags it
# must not have): cluster-level ECS metrics are the ones without a ServiceName dimension.
_NONE: frozenset[str] = frozenset()
_SERVICE = frozenset({"servicename"})
METRICS: dict[str, tuple[str, str, frozenset[str], frozenset[str]]] = {
    "aws.ecs.cpuutilization": ("AWS/ECS", "CPUUtilization", _NONE, _SERVICE),
    "aws.ecs.memory_utilization": ("AWS/ECS", "MemoryUtilization", _NONE, _SERVICE),
    "aws.ecs.service.cpuutilization": ("AWS/ECS", "CPUUtilization", _SERVICE, _NONE),
    "aws.ecs.service.memory_utilization": ("AWS/ECS", "MemoryUtilization", _SERVICE, _NONE),
    "aws.ecs.service.running": ("ECS/ContainerInsights", "RunningTaskCount", _SERVICE, _NONE),
    "aws.ecs.service.desired": ("ECS/ContainerInsights", "DesiredTaskCount", _SERVICE, _NONE),
    "aws.ecs.containerinsights.instance_cpu_utilization": (
        "ECS/ContainerInsights",
        "instance_cpu_utilization",
        _NONE,
        _NONE,
    ),
    "aws.ecs.containerinsights.instance_memory_utilization": (
        "ECS/ContainerInsights",
        "instance_memory_utilization",
        _NONE,
        _NONE,
    ),
    "aws.ec2.cpuutilization": ("AWS/EC2", "CPUUtilization", _NONE, _NONE),
    "aws.applicationelb.request_count": ("AWS/ApplicationELB", "RequestCount", _NONE, _NONE),
    "aws.applicationelb.httpcode_target_5xx": (
        "AWS/ApplicationELB",
        "HTTPCode_Target_5XX_Count",
        _NONE,
        _NONE,
    ),
    "aws.applicationelb.un_healthy_host_count": (
        "AWS/ApplicationELB",
        "UnHealthyHostCount",
        _NONE,
        _NONE,
    ),
    "aws.applicationelb.healthy_host_count": (
        "AWS/ApplicationELB",
        "HealthyHostCount",
        _NONE,
        _NONE,
    ),
}
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
        out.append(
            MetricQuery(part.strip(), agg, match["metric"], tuple(scope), by, rollup, interval)
        )
    return out


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


@dataclass(frozen=True)
class CloudWatchSeries:
    """One CloudWatch series (a metric with one exact set of dimensions), oldest first."""

    dimensions: Mapping[str, str]
    times: Sequence[float]  # epoch seconds
    values: Sequence[float]


# (account id, region, namespace, metric name) -> that metric's series
DataSource = Callable[[str, str, str, str], Iterable[CloudWatchSeries]]


def sandbox_series(
    account_id: str, region: str, namespace: str, name: str
) -> list[CloudWatchSeries]:
    """The sandbox's CloudWatch series of one metric in one account and region.

    The sandbox keeps CloudWatch data in an indexed store behind moto (``estate_cloudwatch``:
    the simulator writes there, PutMetricData lands there too); when that store is empty
    (moto unpatched), moto's own list of datapoints is read instead.
    """
    from sandbox.seed import cloudwatch as estate_cloudwatch

    store = estate_cloudwatch.store_for(account_id, region)
    indexed = list(store.series.items())
    if indexed:
        return [
            CloudWatchSeries(dict(dims), series.times, series.values)
            for (ns, metric, dims), series in indexed
            if ns == namespace and metric == name
        ]
    from sandbox.aws.backends import moto_backend

    points: dict[frozenset[tuple[str, str]], list[tuple[float, float]]] = defaultdict(list)
    for datum in list(moto_backend("cloudwatch", account_id, region).metric_data):
        if datum.namespace == namespace and datum.name == name:
            key = frozenset((str(d.name), str(d.value)) for d in datum.dimensions)
            points[key].append((_epoch(datum.timestamp), _value(datum)))
    return [
        CloudWatchSeries(dict(key), [t for t, _ in sorted(p)], [v for _, v in sorted(p)])
        for key, p in points.items()
    ]


def _epoch(when: dt.datetime) -> float:
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).timestamp()


def _value(datum: Any) -> float:
    if hasattr(datum, "value"):
        return float(datum.value)
    return float(datum.sum) / max(float(datum.sample_count), 1.0)


def evaluate(
    query: MetricQuery,
    start: int,
    end: int,
    accounts: Mapping[str, str],
    regions: Iterable[str],
    data: DataSource = sandbox_series,
    index: int = 0,
) -> list[dict[str, Any]]:
    """Datadog series (MetricsQueryMetadata JSON) for one query over [start, end] seconds.

    ``accounts`` maps environment names to account ids (for ``env:`` tags and for queries
    that name no account).
    """
    if query.metric not in METRICS:
        return []  # an unknown metric is no data, as in Datadog
    namespace, name, required, absent = METRICS[query.metric]
    tags = dict(query.scope)
    region_list = [tags["region"]] if "region" in tags else list(regions)
    wanted = {
        _dimension_key(k): v for k, v in tags.items() if k not in ("aws_account", "env", "region")
    }
    interval = query.interval or max(60, math.ceil((end - start) / MAX_POINTS / 60) * 60)
    # group -> source series -> bucket -> values
    groups: dict[tuple[str, ...], dict[tuple[Any, ...], dict[int, list[float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list))
    )
    for account in _accounts(tags, accounts):
        for region in region_list:
            for found in data(account, region, namespace, name):
                dims = {_dimension_key(k): v for k, v in found.dimensions.items()}
                if any(k in dims for k in absent) or any(k not in dims for k in required):
                    continue
                if any(dims.get(k) != v for k, v in wanted.items()):
                    continue
                extra = {"aws_account": account, "region": region}
                group = tuple(
                    f"{b}:{dims.get(_dimension_key(b), extra.get(b, 'n/a'))}" for b in query.by
                )
                per_bucket = groups[group][(account, region, tuple(sorted(dims.items())))]
                low = bisect.bisect_left(found.times, start)
                high = bisect.bisect_left(found.times, end)  # [start, end), as CloudWatch
                for when, value in zip(found.times[low:high], found.values[low:high], strict=False):
                    per_bucket[start + (int(when) - start) // interval * interval].append(value)
    return [
        _series(query, group, sources, interval, index)
        for group, sources in sorted(groups.items())
        if any(sources.values())
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
