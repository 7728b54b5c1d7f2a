"""A compact, indexed metric store behind moto's CloudWatch.

moto keeps every datapoint as an object in one list and answers GetMetricData by scanning
that list once per query *and per period*: with hours of per-minute history for hundreds
of series, one dashboard refresh would cost the sandbox minutes of CPU, and the objects
hundreds of megabytes. This patch (``install``) keeps each series (namespace, metric name,
exact dimension set) as two ``array('d')`` columns, time-sorted, and answers GetMetricData
and GetMetricStatistics with a binary search per query. PutMetricData lands here too (and
still in moto's list, for alarms). ListMetrics lists each series once (moto: once per
datapoint). Datapoints older than ``RETENTION_S`` are pruned.

Semantics follow CloudWatch: a query matches the series with exactly its dimensions;
periods are aligned to multiples of the period; statistics Average, Sum, Minimum,
Maximum, SampleCount and percentiles ``pNN``. Metric-math queries fall back to moto.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

RETENTION_S = 6 * 3600
Key = tuple[str, str, frozenset[tuple[str, str]]]

_stores: dict[tuple[str, str], MetricStore] = {}
_stores_lock = threading.Lock()
_installed = False


@dataclass
class Series:
    """One metric's datapoints, oldest first."""

    times: array[float] = field(default_factory=lambda: array("d"))
    values: array[float] = field(default_factory=lambda: array("d"))
    unit: str | None = None

    def add(self, when: float, value: float) -> None:
        if not self.times or when >= self.times[-1]:
            self.times.append(when)
            self.values.append(value)
        else:
            at = bisect.bisect_right(self.times, when)
            self.times.insert(at, when)
            self.values.insert(at, value)

    def window(self, start: float, end: float) -> tuple[Sequence[float], Sequence[float]]:
        low = bisect.bisect_left(self.times, start)
        high = bisect.bisect_left(self.times, end)
        return self.times[low:high], self.values[low:high]

    def prune(self, before: float) -> None:
        cut = bisect.bisect_left(self.times, before)
        if cut:
            self.times = self.times[cut:]
            self.values = self.values[cut:]


class MetricStore:
    """Every series of one account and region."""

    def __init__(self) -> None:
        self.series: dict[Key, Series] = {}
        self._lock = threading.Lock()

    def put(
        self,
        namespace: str,
        name: str,
        dimensions: Iterable[tuple[str, str]],
        when: float,
        value: float,
        unit: str | None = None,
    ) -> None:
        key = (namespace, name, frozenset(dimensions))
        with self._lock:
            series = self.series.get(key)
            if series is None:
                series = self.series[key] = Series(unit=unit)
            series.add(when, value)

    def get(
        self, namespace: str, name: str, dimensions: Iterable[tuple[str, str]]
    ) -> Series | None:
        return self.series.get((namespace, name, frozenset(dimensions)))

    def prune(self, before: float) -> None:
        with self._lock:
            for series in self.series.values():
                series.prune(before)


def store_for(account_id: str, region: str) -> MetricStore:
    with _stores_lock:
        store = _stores.get((account_id, region))
        if store is None:
            store = _stores[(account_id, region)] = MetricStore()
        return store


def prune_all(now: float) -> None:
    for store in list(_stores.values()):
        store.prune(now - RETENTION_S)


def epoch(when: datetime) -> float:
    """Seconds since the epoch of a naive-UTC or aware datetime."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


@lru_cache(maxsize=8192)
def naive_utc(seconds: float) -> datetime:
    """The naive-UTC datetime moto serializes. Cached: a dashboard's 500 queries share the
    same period starts, and building ~450,000 datetimes per refresh cost seconds of CPU."""
    return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)


def statistic(values: Sequence[float], stat: str) -> float | None:
    """One CloudWatch statistic over raw values."""
    if not values:
        return None
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Sum":
        return float(sum(values))
    if stat == "Minimum":
        return min(values)
    if stat == "Maximum":
        return max(values)
    if stat == "SampleCount":
        return float(len(values))
    if stat.startswith("p"):
        try:
            rank = float(stat[1:])
        except ValueError:
            return None
        ordered = sorted(values)
        index = min(len(ordered) - 1, max(0, round(rank / 100 * len(ordered) + 0.5) - 1))
        return ordered[index]
    return None


def buckets(
    series: Series, start: float, end: float, period: int
) -> list[tuple[float, list[float]]]:
    """(period start, values) per non-empty period from ``start`` (rounded down) to ``end``."""
    times, values = series.window(start - start % period, end)
    out: list[tuple[float, list[float]]] = []
    for when, value in zip(times, values, strict=True):
        bucket = when - when % period
        if out and out[-1][0] == bucket:
            out[-1][1].append(value)
        else:
            out.append((bucket, [value]))
    return out


def _dimension_pairs(dimensions: Iterable[dict[str, str]] | None) -> list[tuple[str, str]]:
    return [(d["Name"], d.get("Value", "")) for d in dimensions or []]


@dataclass
class Datapoint:
    """One GetMetricStatistics datapoint (attributes picked by moto's serializer)."""

    timestamp: datetime
    unit: str | None = None
    sample_count: float | None = None
    average: float | None = None
    sum: float | None = None
    minimum: float | None = None
    maximum: float | None = None


def install() -> None:
    """Patch moto's CloudWatch backend to use the stores (idempotent)."""
    global _installed
    if _installed:
        return
    from moto.cloudwatch.models import CloudWatchBackend, MetricDatum

    original_put = CloudWatchBackend.put_metric_data
    original_get = CloudWatchBackend.get_metric_data
    original_statistics = CloudWatchBackend.get_metric_statistics
    original_filtered = CloudWatchBackend.get_filtered_metrics

    def put_metric_data(self: Any, namespace: str, metric_data: list[dict[str, Any]]) -> None:
        original_put(self, namespace, metric_data)
        store = store_for(self.account_id, self.region_name)
        for member in metric_data:
            when = epoch(member["Timestamp"]) if member.get("Timestamp") else _now()
            dims = _dimension_pairs(member.get("Dimensions"))
            values = member.get("Values") or [member.get("Value", 0)]
            counts = member.get("Counts") or [1] * len(values)
            if member.get("StatisticValues"):
                stats = member["StatisticValues"]
                samples = float(stats["SampleCount"]) or 1.0
                values, counts = [float(stats["Sum"]) / samples], [1]
            for value, count in zip(values, counts, strict=False):
                for _ in range(int(float(count))):
                    store.put(
                        namespace,
                        member["MetricName"],
                        dims,
                        when,
                        float(value),
                        member.get("Unit"),
                    )

    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        if any("MetricStat" not in q for q in queries) or start_time >= end_time:
            return original_get(self, queries, start_time, end_time, scan_by)
        store = store_for(self.account_id, self.region_name)
        start, end = epoch(start_time), epoch(end_time)
        results = []
        for query in queries:
            if not query.get("ReturnData", True):
                continue
            stat = query["MetricStat"]
            metric = stat["Metric"]
            series = store.get(
                metric["Namespace"],
                metric["MetricName"],
                _dimension_pairs(metric.get("Dimensions")),
            )
            points = [] if series is None else buckets(series, start, end, int(stat["Period"]))
            answered = [(t, statistic(v, stat["Stat"])) for t, v in points]
            answered = [(t, v) for t, v in answered if v is not None]
            if scan_by != "TimestampAscending":
                answered.reverse()
            results.append(
                {
                    "id": query["Id"],
                    "label": query.get("Label") or f"{metric['MetricName']} {stat['Stat']}",
                    "values": [v for _, v in answered],
                    "timestamps": [naive_utc(t) for t, _ in answered],
                    "status_code": "Complete",
                }
            )
        return results

    def get_metric_statistics(
        self: Any,
        namespace: str,
        metric_name: str,
        start_time: datetime,
        end_time: datetime,
        period: int,
        stats: list[str],
        dimensions: list[dict[str, str]],
        unit: str | None = None,
    ) -> list[Any]:
        series = store_for(self.account_id, self.region_name).get(
            namespace, metric_name, _dimension_pairs(dimensions)
        )
        if series is None or start_time >= end_time:
            return original_statistics(
                self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
            )
        points = buckets(series, epoch(start_time), epoch(end_time), int(period))
        names = {"SampleCount": "sample_count", "Average": "average", "Sum": "sum",
                 "Minimum": "minimum", "Maximum": "maximum"}  # fmt: skip
        answer = []
        for when, values in points:
            point = Datapoint(naive_utc(when), series.unit)
            for stat in stats:
                if stat in names:
                    setattr(point, names[stat], statistic(values, stat))
            answer.append(point)
        return answer

    def get_filtered_metrics(
        self: Any, metric_name: str, namespace: str, dimensions: list[dict[str, str]]
    ) -> list[Any]:
        found = []
        seen: set[Key] = set()
        for metric in original_filtered(self, metric_name, namespace, dimensions):
            pairs = frozenset((str(d.name), str(d.value)) for d in metric.dimensions)
            key = (str(metric.namespace), str(metric.name), pairs)
            if key not in seen:  # moto lists a many-dimension series once per datapoint
                seen.add(key)
                found.append(metric)
        wanted = _dimension_pairs(dimensions)
        for key in list(store_for(self.account_id, self.region_name).series):
            space, name, dims = key
            if (
                key in seen
                or (namespace and space != namespace)
                or (metric_name and name != metric_name)
            ):
                continue
            names = {n for n, _ in dims}
            if any((n, v) not in dims if v else n not in names for n, v in wanted):
                continue
            found.append(
                MetricDatum(
                    space, name, 0.0, [{"Name": n, "Value": v} for n, v in sorted(dims)], None
                )
            )
        return found

    for name, function in (
        ("put_metric_data", put_metric_data),
        ("get_metric_data", get_metric_data),
        ("get_metric_statistics", get_metric_statistics),
        ("get_filtered_metrics", get_filtered_metrics),
    ):
        setattr(CloudWatchBackend, name, function)
    _installed = True


def _now() -> float:
    import time

    return time.time()
