"""Per-container CPU and memory from Container Insights (enhanced observability), on demand.

Read only for what is on screen: one service's tasks (``opskit show``) or one task (the
dashboard's task view), never by the overview's refresh. One DescribeClusters
(``include=SETTINGS``) tells whether the cluster publishes them: only
``containerInsights = enhanced`` does. Then one GetMetricData call per 500 queries reads
every container of those tasks at once: four queries a container (``ContainerCpuUtilized``,
``ContainerCpuReserved``, ``ContainerMemoryUtilized``, ``ContainerMemoryReserved``, namespace
``ECS/ContainerInsights``) on the dimension set AWS publishes for service and standalone
tasks alike, {ClusterName, TaskDefinitionFamily, TaskId, ContainerName}, at the CloudWatch
period over the last ``WINDOW``; each figure is its latest datapoint. A ``ContainerReader``
keeps each answer for one period and a cluster's setting for ``SETTINGS_TTL_S``, so a view
redrawn every few seconds reads at most once a minute.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from opskit.aws.cloudwatch import QUERIES_PER_CALL, MetricsReader, metric_query
from opskit.aws.ecs import EcsReader
from opskit.errors import OpskitError, one_line
from opskit.estate.metrics import ClientSource
from opskit.estate.model import ContainerMetrics, ContainerUsage, ServiceState, TaskState, Unread

if TYPE_CHECKING:
    from types_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef

NAMESPACE = "ECS/ContainerInsights"
SETTING = "containerInsights"
ENHANCED = "enhanced"
FIGURES = {
    "cpu_used": "ContainerCpuUtilized",
    "cpu_reserved": "ContainerCpuReserved",
    "memory_used": "ContainerMemoryUtilized",
    "memory_reserved": "ContainerMemoryReserved",
}
WINDOW = dt.timedelta(minutes=10)
SETTINGS_TTL_S = 300.0
UNKNOWN_FAMILY = "containers"  # the ``unknown`` key when they cannot be read
NO_DATA = "no datapoint in the last 10 minutes (Container Insights publishes once a minute)"


def note_for(cluster: str, insights: str) -> str:
    """Why a cluster has no per-container figures ("" when it should have them)."""
    if insights == "disabled":
        return f"Container Insights off for cluster {cluster}"
    if insights and insights != ENHANCED:
        return (
            f"Container Insights on cluster {cluster} is '{insights}', not 'enhanced': "
            "no per-container metrics"
        )
    return ""


class ContainerReader:
    """Reads per-container figures with one set of clients; keep one per front end."""

    def __init__(
        self,
        accounts: ClientSource,
        *,
        period: int = 60,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.accounts = accounts
        self.period = period
        self.clock = clock
        self._settings: dict[tuple[str, str, str], tuple[float, str]] = {}
        self._answers: dict[tuple[str, ...], tuple[float, ContainerMetrics]] = {}
        self._lock = threading.Lock()

    def read(self, env: str, cluster: str, tasks: Sequence[TaskState]) -> ContainerMetrics:
        """The latest figures of every container of ``tasks`` (all of one cluster).

        Raises OpskitError when CloudWatch cannot be read; a cluster whose setting says
        there is nothing to read costs no CloudWatch call.
        """
        region = _region(tasks)
        key = (
            env,
            region,
            cluster,
            *sorted(f"{t.id}/{c.name}" for t in tasks for c in t.containers),
        )
        now = self.clock()
        with self._lock:
            cached = self._answers.get(key)
        if cached is not None and now - cached[0] < self.period:
            return cached[1]
        insights = self._insights(env, region, cluster, now)
        answer = ContainerMetrics(
            cluster, insights, note=note_for(cluster, insights), period=self.period
        )
        if not answer.note:
            answer = self._figures(env, region, cluster, tasks, answer)
        with self._lock:
            self._answers = {k: v for k, v in self._answers.items() if now - v[0] < self.period}
            self._answers[key] = (now, answer)
        return answer

    def _insights(self, env: str, region: str, cluster: str, now: float) -> str:
        key = (env, region, cluster)
        with self._lock:
            known = self._settings.get(key)
        if known is not None and now - known[0] < SETTINGS_TTL_S:
            return known[1]
        ecs = EcsReader(
            self.accounts.client(env, "ecs", region=region or None), _where(env, region)
        )
        try:
            value = ecs.cluster_settings(cluster).get(SETTING, "disabled")
        except OpskitError:  # not allowed to read it: ask CloudWatch anyway
            return ""
        with self._lock:
            self._settings[key] = (now, value)
        return value

    def _figures(
        self,
        env: str,
        region: str,
        cluster: str,
        tasks: Sequence[TaskState],
        answer: ContainerMetrics,
    ) -> ContainerMetrics:
        wanted: dict[str, tuple[str, str, str]] = {}  # query id -> task, container, figure
        queries: list[MetricDataQueryTypeDef] = []
        for task in tasks:
            family = task.task_definition.rsplit(":", 1)[0]
            for container in task.containers:
                dims = {"ClusterName": cluster, "TaskDefinitionFamily": family,
                        "TaskId": task.id, "ContainerName": container.name}  # fmt: skip
                for figure, metric in FIGURES.items():
                    query_id = f"q{len(queries)}"
                    wanted[query_id] = (task.id, container.name, figure)
                    queries.append(
                        metric_query(query_id, NAMESPACE, metric, dims, period=self.period)
                    )
        client = self.accounts.client(env, "cloudwatch", region=region or None)
        reader = MetricsReader(client, _where(env, region))
        end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        figures: dict[tuple[str, str], dict[str, float]] = {}
        stamps: dict[tuple[str, str], dt.datetime] = {}
        for start in range(0, len(queries), QUERIES_PER_CALL):  # 125 containers a call
            part = queries[start : start + QUERIES_PER_CALL]
            series = reader.get(part, end - WINDOW, end)
            for query_id, (times, values) in series.items():
                if not values:
                    continue
                task_id, name, figure = wanted[query_id]
                latest = max(range(len(values)), key=lambda i: times[i])
                figures.setdefault((task_id, name), {})[figure] = round(float(values[latest]), 3)
                stamps[(task_id, name)] = max(
                    times[latest], stamps.get((task_id, name), times[latest])
                )
        usages = []
        for task in tasks:
            for container in task.containers:
                found = figures.get((task.id, container.name), {})
                usages.append(
                    _usage(task.id, container.name, found, stamps.get((task.id, container.name)))
                )
        note = "" if figures else NO_DATA
        return dataclasses.replace(
            answer, containers=tuple(usages), note=note, read_at=dt.datetime.now(dt.UTC)
        )


def with_container_metrics(
    reader: ContainerReader, env: str, service: ServiceState
) -> ServiceState:
    """``service`` with its tasks' per-container figures; a failed read leaves them
    ``None`` and says why under ``unknown["containers"]`` (nothing fails)."""
    if not service.tasks:
        return service
    try:
        found = reader.read(env, service.cluster, service.tasks)
    except OpskitError as error:
        unread = Unread(one_line(error), int(error.exit_code))
        return dataclasses.replace(service, unknown={**service.unknown, UNKNOWN_FAMILY: unread})
    return dataclasses.replace(service, container_metrics=found)


def _usage(
    task: str, container: str, found: dict[str, float], at: dt.datetime | None
) -> ContainerUsage:
    cpu_used, cpu_reserved = found.get("cpu_used"), _whole(found.get("cpu_reserved"))
    memory_used, memory_reserved = found.get("memory_used"), _whole(found.get("memory_reserved"))
    return ContainerUsage(
        task=task,
        container=container,
        cpu_used=cpu_used,
        cpu_reserved=cpu_reserved,
        cpu_percent=_percent(cpu_used, cpu_reserved),
        memory_used=memory_used,
        memory_reserved=memory_reserved,
        memory_percent=_percent(memory_used, memory_reserved),
        at=at,
    )


def _whole(value: float | None) -> float | None:
    """A reservation (CPU units, MiB: whole numbers in a task definition) as an int."""
    return int(value) if value is not None and float(value).is_integer() else value


def _percent(used: float | None, reserved: float | None) -> float | None:
    if used is None or not reserved:
        return None
    return round(100 * used / reserved, 1)


def _region(tasks: Sequence[TaskState]) -> str:
    """The region in the tasks' ARNs ("" when none names one: the environment's first)."""
    for task in tasks:
        parts = task.arn.split(":")
        if len(parts) > 3 and parts[3]:
            return parts[3]
    return ""


def _where(env: str, region: str) -> str:
    return f"{env} ({region})" if region else env
