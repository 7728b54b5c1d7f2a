"""Container Insights with enhanced observability: CPU and memory per task and per container.

ECS publishes these to CloudWatch (namespace ``ECS/ContainerInsights``, one datapoint a
minute) only for clusters whose ``containerInsights`` setting is ``enhanced``; ``enabled``
gives cluster, service and family aggregates without task or container metrics, and
``disabled`` (the default) nothing. The seed (``seed_container_insights``) sets ``enhanced``
on every cluster but ``OFF_CLUSTERS`` (stage's second-region ``edge``), which stays
``disabled`` so that readers meet a cluster without them. The setting is read again at each
emission: ``UpdateClusterSettings`` turns the metrics on or off as it does on AWS.

Per RUNNING task, as AWS names them (units in brackets):

- task: ``CpuUtilized``, ``CpuReserved`` (None: CPU units, 1024 a vCPU), ``MemoryUtilized``,
  ``MemoryReserved`` (Megabytes: MiB), dims {ClusterName, ServiceName, TaskId} (a
  service's task) and {ClusterName, TaskDefinitionFamily, TaskId} (every task);
- each container: ``ContainerCpuUtilized``, ``ContainerCpuReserved`` (None),
  ``ContainerMemoryUtilized``, ``ContainerMemoryReserved`` (Megabytes),
  ``ContainerMemoryUtilization`` (Percent), dims {ClusterName, ServiceName, TaskId,
  ContainerName} and {ClusterName, TaskDefinitionFamily, TaskId, ContainerName};
- the same without ``TaskId`` ({ClusterName, ServiceName[, ContainerName]}, {ClusterName,
  TaskDefinitionFamily[, ContainerName]}): one datapoint per task, as Container Insights'
  per-task events land there, so Average is per task and Sum the service's or family's.
  (The cluster-wide sets, {ClusterName} alone, are not published.)

Reserved figures are the task definition's: a container's ``cpu`` and ``memory``, a task's
size (its containers' sum when the definition sets none). The first container (the app)
follows the service's load profile (``metrics.profile_for``) on its own reservation, split
over the service's running tasks with a stable per-task skew; a sidecar (any container
after the first) uses a small, steady share of its own; a task's use is the sum of its
containers'. A crash-looping service's containers climb toward their memory limit from
their start until they are killed, so their series are short.
Standalone tasks (RunTask, ``backfill``) have a profile of their family. These series keep
``RETENTION_S`` (``trim``, every ``TRIM_EVERY_S``): a stopped task's go, so a crash loop
does not grow the store, and the large estate's ~50,000 series stay small.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sandbox.seed.cloudwatch import MetricStore, store_for
from sandbox.seed.context import backend
from sandbox.seed.metrics import Dims, LoadProfile, clamp, daily, profile_for
from sandbox.seed.plan import EnvPlan

NAMESPACE = "ECS/ContainerInsights"
SETTING = "containerInsights"
ENHANCED, ENABLED, DISABLED = "enhanced", "enabled", "disabled"
OFF_CLUSTERS = frozenset({"edge"})  # left ``disabled``: the "not enabled" case
EVERY_S = 60.0  # AWS's resolution for Container Insights
HISTORY_S = 15 * 60  # seeded at start, so a reader has figures at once
RETENTION_S = 1800.0  # kept half an hour (AWS: 15 days); readers ask for minutes
TRIM_EVERY_S = 300.0

CPU_UTILIZED, CPU_RESERVED = "CpuUtilized", "CpuReserved"
MEMORY_UTILIZED, MEMORY_RESERVED = "MemoryUtilized", "MemoryReserved"
CONTAINER_CPU_UTILIZED, CONTAINER_CPU_RESERVED = "ContainerCpuUtilized", "ContainerCpuReserved"
CONTAINER_MEMORY_UTILIZED = "ContainerMemoryUtilized"
CONTAINER_MEMORY_RESERVED = "ContainerMemoryReserved"
CONTAINER_MEMORY_UTILIZATION = "ContainerMemoryUtilization"
NONE, MEGABYTES, PERCENT = "None", "Megabytes", "Percent"
METRICS = frozenset({
    CPU_UTILIZED, CPU_RESERVED, MEMORY_UTILIZED, MEMORY_RESERVED, CONTAINER_CPU_UTILIZED,
    CONTAINER_CPU_RESERVED, CONTAINER_MEMORY_UTILIZED, CONTAINER_MEMORY_RESERVED,
    CONTAINER_MEMORY_UTILIZATION,
})  # fmt: skip


@dataclass(frozen=True)
class ContainerUse:
    """One container's figures at one moment (CPU units, MiB)."""

    name: str
    cpu_used: float
    cpu_reserved: float
    memory_used: float
    memory_reserved: float


def seed_container_insights(plans: Iterable[EnvPlan], now: float | None = None) -> int:
    """Set every cluster's ``containerInsights`` and write the last ``HISTORY_S`` of task
    and container metrics (one point a minute); returns how many datapoints."""
    now = time.time() if now is None else now
    written = 0
    for plan in plans:
        ecs = backend("ecs", plan.account_id, plan.region)
        store = store_for(plan.account_id, plan.region)
        rng = random.Random(f"containers-{plan.name}-{plan.region}")
        for name, cluster in list(ecs.clusters.items()):
            value = DISABLED if name in OFF_CLUSTERS else ENHANCED
            cluster.settings = [{"name": SETTING, "value": value}]
            when = now - HISTORY_S
            when -= when % EVERY_S
            while when < now - now % EVERY_S:  # this minute is the simulator's first point
                written += emit(ecs, name, store, when, rng)
                when += EVERY_S
    return written


def insights(cluster: Any) -> str:
    """The cluster's ``containerInsights`` value (``disabled`` when unset)."""
    for setting in getattr(cluster, "settings", None) or ():
        if setting.get("name") == SETTING:
            return str(setting.get("value") or DISABLED)
    return DISABLED


_due: dict[tuple[str, ...], float] = {}
_lock = threading.Lock()


def emit_due(
    ecs: Any, cluster_name: str, store: MetricStore, now: float, rng: random.Random
) -> int:
    """``emit`` once every ``EVERY_S`` per cluster (the simulator calls it more often)."""
    key = (ecs.account_id, ecs.region_name, cluster_name)
    store_key = (ecs.account_id, ecs.region_name)
    with _lock:
        if _due.get(key, 0.0) > now:
            return 0
        _due[key] = now + EVERY_S
        trim_now = _due.get(store_key, 0.0) <= now
        if trim_now:
            _due[store_key] = now + TRIM_EVERY_S
    if trim_now:
        trim(store, now)
    return emit(ecs, cluster_name, store, now, rng)


def emit(ecs: Any, cluster_name: str, store: MetricStore, when: float, rng: random.Random) -> int:
    """One datapoint of every task and container series of a cluster at ``when``."""
    cluster = ecs.clusters.get(cluster_name)
    if cluster is None or insights(cluster) != ENHANCED:
        return 0
    tasks = [t for t in list(ecs.tasks.get(cluster_name, {}).values()) if _running_at(t, when)]
    services = {
        s.name: s for s in list(ecs.services.values())
        if s.cluster_name == cluster_name and s.status == "ACTIVE"
    }  # fmt: skip
    running: dict[str, int] = {}
    for task in tasks:
        running[task.group] = running.get(task.group, 0) + 1
    written = 0
    for task in tasks:
        service_name = (
            task.group.removeprefix("service:") if task.group.startswith("service:") else ""
        )
        family = _family(task)
        profile = _profile(ecs, services.get(service_name), family)
        uses = task_use(task, profile, running[task.group], when, rng)
        reserved = (
            _number(task.cpu) or sum(u.cpu_reserved for u in uses),  # the task's size, if set
            _number(task.memory) or sum(u.memory_reserved for u in uses),
        )
        written += _put(store, cluster_name, service_name, family, task.id, uses, reserved, when)
    return written


def task_use(
    task: Any, profile: LoadProfile, running: int, when: float, rng: random.Random
) -> list[ContainerUse]:
    """What each container of ``task`` uses at ``when``: the first (the app) follows the
    service's load on its own reservation, each sidecar a small steady share of its own."""
    containers = list(task.containers)
    if not containers:
        return []
    task_cpu = _number(task.cpu) or float(sum(_number(c.cpu) for c in containers)) or 256.0
    task_memory = _number(task.memory) or float(sum(_number(c.memory) for c in containers)) or 512.0
    shape = 0.3 + 0.7 * daily(when, profile.phase_h)
    noise = rng.gauss(0.0, 0.05)
    uses = []
    for sidecar in containers[1:]:
        reserved_cpu = _number(sidecar.cpu) or 0.1 * task_cpu
        reserved_memory = _number(sidecar.memory) or 0.1 * task_memory
        level = 0.3 + 0.4 * _unit(f"{task.id}/{sidecar.name}")
        uses.append(
            ContainerUse(
                str(sidecar.name),
                round(reserved_cpu * (0.1 + 0.15 * shape) * level * (1 + noise), 2),
                reserved_cpu,
                round(reserved_memory * (0.35 + 0.15 * level), 1),
                reserved_memory,
            )
        )
    app = containers[0]
    app_cpu = _number(app.cpu) or max(task_cpu - sum(u.cpu_reserved for u in uses), 1.0)
    app_memory = _number(app.memory) or max(task_memory - sum(u.memory_reserved for u in uses), 1.0)
    skew = 1.0 + 0.3 * (_unit(task.id) - 0.5)  # tasks of one service are never quite even
    share = profile.anchor_tasks / max(1, running)  # scaling out spreads the load
    cpu = clamp(app_cpu * profile.peak * shape * share * skew * (1 + noise), 0.01 * app_cpu,
                0.98 * app_cpu)  # fmt: skip
    if profile.crash_loops:  # a leak: from its start toward the limit, until it is killed
        age = max(0.0, when - _started(task, when))
        memory_share = 0.5 + 0.48 * (1 - math.exp(-age / 90.0))
    else:
        memory_share = profile.resident + 0.25 * cpu / app_cpu
    memory = app_memory * clamp(memory_share * (1 + noise / 3), 0.05, 0.99)
    main = ContainerUse(str(app.name), round(cpu, 2), app_cpu, round(memory, 1), app_memory)
    return [main, *uses]


def _put(
    store: MetricStore,
    cluster: str,
    service: str,
    family: str,
    task_id: str,
    uses: list[ContainerUse],
    reserved: tuple[float, float],
    when: float,
) -> int:
    """One task's figures under every dimension set AWS puts them in: its own (with TaskId)
    and its service's and family's (without: one datapoint a task, as Container Insights'
    performance events land, so Average is per task and Sum the whole)."""
    owners: list[Dims] = [(("ClusterName", cluster), ("TaskDefinitionFamily", family))]
    if service:
        owners.append((("ClusterName", cluster), ("ServiceName", service)))
    totals = (
        (CPU_UTILIZED, round(sum(u.cpu_used for u in uses), 2), NONE),
        (CPU_RESERVED, round(reserved[0], 2), NONE),
        (MEMORY_UTILIZED, round(sum(u.memory_used for u in uses), 2), MEGABYTES),
        (MEMORY_RESERVED, round(reserved[1], 2), MEGABYTES),
    )
    per_container = [
        (
            use.name,
            (
                (CONTAINER_CPU_UTILIZED, round(use.cpu_used, 3), NONE),
                (CONTAINER_CPU_RESERVED, round(use.cpu_reserved, 3), NONE),
                (CONTAINER_MEMORY_UTILIZED, round(use.memory_used, 3), MEGABYTES),
                (CONTAINER_MEMORY_RESERVED, round(use.memory_reserved, 3), MEGABYTES),
                (
                    CONTAINER_MEMORY_UTILIZATION,
                    round(100 * use.memory_used / use.memory_reserved, 3),
                    PERCENT,
                ),
            ),
        )
        for use in uses
    ]
    written = 0
    for owner in owners:
        for dims in (owner, (*owner, ("TaskId", task_id))):
            for name, value, unit in totals:
                store.put(NAMESPACE, name, dims, when, value, unit)
            for container, figures in per_container:
                for name, value, unit in figures:
                    store.put(
                        NAMESPACE, name, (*dims, ("ContainerName", container)), when, value, unit
                    )
            written += len(totals) + sum(len(figures) for _, figures in per_container)
    return written


def trim(store: MetricStore, now: float) -> int:
    """Drop this module's datapoints older than ``RETENTION_S``, and series left empty (a
    stopped task's): a crash loop never grows the store. Returns how many series went."""
    before = now - RETENTION_S
    dropped = 0
    for key, series in list(store.series.items()):
        namespace, name, _ = key
        if namespace != NAMESPACE or name not in METRICS:
            continue  # the hosts' metrics share the namespace: not ours
        series.prune(before)
        if not series.times:
            store.series.pop(key, None)
            dropped += 1
    return dropped


def _profile(ecs: Any, service: Any, family: str) -> LoadProfile:
    found = getattr(service, "_opskit_profile", None) if service is not None else None
    if isinstance(found, LoadProfile):
        return found
    name = service.name if service is not None else f"family:{family}"
    return profile_for(name, ecs.account_id, 1)


def _running_at(task: Any, when: float) -> bool:
    return task.last_status == "RUNNING" and _started(task, when) <= when


def _started(task: Any, default: float) -> float:
    started = getattr(task, "started_at", None)
    if started is None:
        return default
    return float(started.timestamp() if started.tzinfo else started.replace(tzinfo=UTC).timestamp())


def _family(task: Any) -> str:
    arn = str(task.task_definition_arn)
    return arn.rsplit("/", 1)[-1].rsplit(":", 1)[0]


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _unit(text: str) -> float:
    """A stable number in [0, 1) for a name."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 0x1_0000_0000
