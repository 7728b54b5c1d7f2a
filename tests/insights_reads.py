"""Per-container figures as boto3 reads them from CloudWatch (over HTTP), for tests that
check what opskit shows against what AWS holds, never against opskit's own reader."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

NAMESPACE = "ECS/ContainerInsights"
FIGURES = {
    "cpu_used": "ContainerCpuUtilized",
    "cpu_reserved": "ContainerCpuReserved",
    "memory_used": "ContainerMemoryUtilized",
    "memory_reserved": "ContainerMemoryReserved",
}
Read = dict[tuple[str, str], dict[str, float]]  # (task id, container) -> figure -> value


def container_reads(
    cloudwatch: Any, cluster: str, tasks: Iterable[tuple[str, str, Iterable[str]]]
) -> list[Read]:
    """[latest minute, the minute before] of every (task id, family, container names):
    a reader that ran just before a new minute landed saw the one before."""
    queries: list[dict[str, Any]] = []
    names: dict[str, tuple[str, str, str]] = {}
    for task_id, family, containers in tasks:
        for container in containers:
            dims = {"ClusterName": cluster, "TaskDefinitionFamily": family, "TaskId": task_id,
                    "ContainerName": container}  # fmt: skip
            for figure, metric in FIGURES.items():
                query_id = f"q{len(queries)}"
                names[query_id] = (task_id, container, figure)
                queries.append({
                    "Id": query_id,
                    "MetricStat": {
                        "Metric": {"Namespace": NAMESPACE, "MetricName": metric,
                                   "Dimensions": [{"Name": k, "Value": v}
                                                  for k, v in dims.items()]},
                        "Period": 60, "Stat": "Average",
                    },
                })  # fmt: skip
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    reads: list[Read] = [{}, {}]
    for start in range(0, len(queries), 500):
        answer = cloudwatch.get_metric_data(
            MetricDataQueries=queries[start : start + 500],
            StartTime=end - dt.timedelta(minutes=10), EndTime=end,
            ScanBy="TimestampDescending",
        )  # fmt: skip
        for result in answer["MetricDataResults"]:
            task_id, container, figure = names[result["Id"]]
            for index, value in enumerate(result["Values"][:2]):
                reads[index].setdefault((task_id, container), {})[figure] = value
    return reads


def candidates(
    reads: list[Read], task_id: str, container: str, digits: int
) -> list[dict[str, float]]:
    """The complete figure sets one container may show, rounded to ``digits``."""
    return [
        {figure: round(found[figure], digits) for figure in FIGURES}
        for read in reads
        if set(found := read.get((task_id, container), {})) == set(FIGURES)
    ]
