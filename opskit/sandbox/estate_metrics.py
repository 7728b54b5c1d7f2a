"""CPU and memory utilization of clusters, services and hosts, derived from what runs.

Each service has a load profile (its peak CPU demand relative to the task count it was
seeded with, a resident memory share, a phase). Its demand follows a daily shape (lowest at
03:00 UTC, highest at 15:00) with noise. Utilization is computed from moto's state at that
moment, the way ECS computes it, so it is consistent with the tasks actually running:

- service CPUUtilization = demand / (running tasks × task CPU): scaling up spreads the load;
- service MemoryUtilization = resident share + a load-dependent part (the crash-looping
  service instead climbs toward its limit, as a leak does);
- cluster CPU/MemoryUtilization = used / registered on the container instances, and
  CPU/MemoryReservation = reserved by running tasks / registered;
- per host: the share of each task's use placed on it, plus the OS and agent;
- per target group: ALB Healthy/UnHealthyHostCount from its targets' health right then.

Metric names and dimensions (also listed in ``estate``'s docstring, which readers use) are
the constants below. ``emit_cluster`` writes one datapoint of every series of a cluster;
``seed_history`` writes the last ``HISTORY_S`` at one point a minute.
"""

from __future__ import annotations

import hashlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opskit.sandbox.estate_cloudwatch import MetricStore, Series

ECS = "AWS/ECS"
EC2 = "AWS/EC2"
INSIGHTS = "ECS/ContainerInsights"
CPU_UTILIZATION = "CPUUtilization"
MEMORY_UTILIZATION = "MemoryUtilization"
CPU_RESERVATION = "CPUReservation"
MEMORY_RESERVATION = "MemoryReservation"
INSTANCE_CPU = "instance_cpu_utilization"
INSTANCE_MEMORY = "instance_memory_utilization"
ALB = "AWS/ApplicationELB"
HEALTHY_HOSTS = "HealthyHostCount"
UNHEALTHY_HOSTS = "UnHealthyHostCount"
HISTORY_S = 3 * 3600
HISTORY_STEP_S = 60
OS_CPU_SHARE = 0.02
AGENT_MEMORY_MIB = 512
Dims = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class LoadProfile:
    """How busy a service is: ``peak`` of its anchor tasks' CPU at the daily high."""

    anchor_tasks: int
    peak: float
    resident: float
    phase_h: float
    crash_loops: bool = False


def profile_for(name: str, env: str, anchor_tasks: int, crash_loops: bool = False) -> LoadProfile:
    """A stable profile per (environment, service)."""
    seed = int(hashlib.sha256(f"{env}/{name}".encode()).hexdigest()[:8], 16)
    rng = random.Random(seed)
    return LoadProfile(
        anchor_tasks=max(1, anchor_tasks),
        peak=rng.uniform(0.35, 0.8),
        resident=rng.uniform(0.25, 0.5),
        phase_h=rng.uniform(-1.5, 1.5),
        crash_loops=crash_loops,
    )


def daily(when: float, phase_h: float = 0.0) -> float:
    """0 at 03:00 UTC, 1 at 15:00 UTC, smooth in between."""
    hour = (when / 3600.0 + phase_h) % 24
    return 0.5 - 0.5 * math.cos(2 * math.pi * (hour - 3) / 24)


def clamp(value: float, low: float = 0.0, high: float = 100.0) -> float:
    return max(low, min(high, value))


@dataclass
class _Usage:
    cpu_used: float  # CPU units the service's tasks use
    memory_used: float  # MiB the service's tasks use
    running: int


def _service_usage(
    service: Any, task_cpu: int, task_memory: int, running: int, when: float,
    noise: Callable[[], float],
) -> _Usage:  # fmt: skip
    profile: LoadProfile = service._opskit_profile
    if running == 0:
        return _Usage(0.0, 0.0, 0)
    shape = 0.3 + 0.7 * daily(when, profile.phase_h)
    demand = profile.anchor_tasks * task_cpu * profile.peak * shape * (1 + noise())
    cpu_used = min(demand, running * task_cpu * 0.98)
    if profile.crash_loops:
        leak = (when % 240) / 240
        memory_share = 0.55 + 0.4 * leak
    else:
        memory_share = profile.resident + 0.25 * cpu_used / (running * task_cpu)
    memory_used = running * task_memory * clamp(memory_share * (1 + noise() / 3), 0.05, 0.99)
    return _Usage(max(cpu_used, 0.0), memory_used, running)


class ClusterSeries:
    """Handles on every series of one cluster in a store, created on first use."""

    def __init__(self, store: MetricStore, cluster: str) -> None:
        self.store = store
        self.cluster = cluster
        self._handles: dict[tuple[str, str, tuple[tuple[str, str], ...]], Series] = {}

    def series(self, namespace: str, name: str, dims: Dims) -> Series:
        key = (namespace, name, dims)
        handle = self._handles.get(key)
        if handle is None:
            full = (namespace, name, frozenset(dims))
            handle = self.store.series.get(full)
            if handle is None:
                handle = self.store.series[full] = Series(unit="Percent")
            self._handles[key] = handle
        return handle

    def put(self, namespace: str, name: str, dims: Dims, when: float, value: float) -> None:
        """A percentage (clamped to 0..100)."""
        self.series(namespace, name, dims).add(when, round(clamp(value), 3))

    def count(self, namespace: str, name: str, dims: Dims, when: float, value: int) -> None:
        series = self.series(namespace, name, dims)
        series.unit = "Count"
        series.add(when, float(value))


@dataclass
class _Totals:
    """What a cluster's tasks use and reserve, overall and per container instance."""

    cpu_used: float = 0.0
    memory_used: float = 0.0
    cpu_reserved: float = 0.0
    memory_reserved: float = 0.0
    host_cpu: dict[str, float] = field(default_factory=dict)
    host_memory: dict[str, float] = field(default_factory=dict)


def emit_cluster(
    ecs: Any, cluster_name: str, handles: ClusterSeries, when: float, rng: random.Random
) -> int:
    """One datapoint of every series of a cluster at ``when``; returns how many."""

    def noise() -> float:
        return rng.gauss(0.0, 0.06)

    totals = _Totals()
    count = _emit_services(ecs, cluster_name, handles, when, noise, totals)
    count += _emit_target_health(ecs, cluster_name, handles, when)
    registered_cpu = registered_memory = 0.0
    for instance_id, instance in list(ecs.container_instances.get(cluster_name, {}).items()):
        cpu, memory = _registered(instance)
        registered_cpu += cpu
        registered_memory += memory
        used_cpu = totals.host_cpu.get(instance_id, 0.0) / cpu + OS_CPU_SHARE * (1 + noise())
        used_memory = totals.host_memory.get(instance_id, 0.0) + AGENT_MEMORY_MIB
        host: Dims = (
            ("ClusterName", cluster_name),
            ("ContainerInstanceId", instance_id),
            ("EC2InstanceId", instance.ec2_instance_id),
        )
        handles.put(INSIGHTS, INSTANCE_CPU, host, when, 100 * used_cpu)
        handles.put(
            INSIGHTS, INSTANCE_MEMORY, host, when, 100 * used_memory / (memory + AGENT_MEMORY_MIB)
        )
        ec2: Dims = (("InstanceId", instance.ec2_instance_id),)
        handles.put(EC2, CPU_UTILIZATION, ec2, when, 100 * used_cpu + 1.5)
        count += 3
    if registered_cpu and registered_memory:
        cluster: Dims = (("ClusterName", cluster_name),)
        handles.put(ECS, CPU_UTILIZATION, cluster, when, 100 * totals.cpu_used / registered_cpu)
        handles.put(
            ECS, MEMORY_UTILIZATION, cluster, when, 100 * totals.memory_used / registered_memory
        )
        handles.put(ECS, CPU_RESERVATION, cluster, when, 100 * totals.cpu_reserved / registered_cpu)
        handles.put(
            ECS, MEMORY_RESERVATION, cluster, when, 100 * totals.memory_reserved / registered_memory
        )
        count += 4
    return count


def _emit_services(
    ecs: Any,
    cluster_name: str,
    handles: ClusterSeries,
    when: float,
    noise: Callable[[], float],
    totals: _Totals,
) -> int:
    running_by_group: dict[str, list[Any]] = {}
    for task in list(ecs.tasks.get(cluster_name, {}).values()):
        if task.last_status == "RUNNING":
            running_by_group.setdefault(task.group, []).append(task)
    count = 0
    for service in list(ecs.services.values()):
        if service.cluster_name != cluster_name or service.status != "ACTIVE":
            continue
        tasks = running_by_group.get(f"service:{service.name}", [])
        if not tasks or getattr(service, "_opskit_profile", None) is None:
            continue
        task_cpu = int(tasks[0].resource_requirements["CPU"]) or 256
        task_memory = int(tasks[0].resource_requirements["MEMORY"]) or 512
        usage = _service_usage(service, task_cpu, task_memory, len(tasks), when, noise)
        dims: Dims = (("ClusterName", cluster_name), ("ServiceName", service.name))
        cpu_share = usage.cpu_used / (len(tasks) * task_cpu)
        memory_share = usage.memory_used / (len(tasks) * task_memory)
        handles.put(ECS, CPU_UTILIZATION, dims, when, 100 * cpu_share)
        handles.put(ECS, MEMORY_UTILIZATION, dims, when, 100 * memory_share)
        count += 2
        totals.cpu_used += usage.cpu_used
        totals.memory_used += usage.memory_used
        totals.cpu_reserved += len(tasks) * task_cpu
        totals.memory_reserved += len(tasks) * task_memory
        for task in tasks:
            host = (task.container_instance_arn or "").split("/")[-1]
            totals.host_cpu[host] = totals.host_cpu.get(host, 0.0) + usage.cpu_used / len(tasks)
            totals.host_memory[host] = totals.host_memory.get(host, 0.0) + usage.memory_used / len(
                tasks
            )
    return count


def _emit_target_health(ecs: Any, cluster_name: str, handles: ClusterSeries, when: float) -> int:
    """ALB Healthy/UnHealthyHostCount of each service's target group, from its targets."""
    from opskit.sandbox import estate_targets
    from opskit.sandbox.estate_context import backend

    elbv2 = backend("elbv2", ecs.account_id, ecs.region_name)
    count = 0
    for service in list(ecs.services.values()):
        if service.cluster_name != cluster_name or service.status != "ACTIVE":
            continue
        for binding in service.load_balancers or []:
            group = elbv2.target_groups.get(binding.get("targetGroupArn"))
            if group is None or not group.load_balancer_arns:
                continue
            states = [estate_targets.state(group, target) for target in list(group.targets)]
            dims: Dims = (
                ("LoadBalancer", elb_dimension(group.load_balancer_arns[0])),
                ("TargetGroup", elb_dimension(group.arn)),
            )
            handles.count(ALB, HEALTHY_HOSTS, dims, when, states.count("healthy"))
            handles.count(ALB, UNHEALTHY_HOSTS, dims, when, states.count("unhealthy"))
            count += 2
    return count


def elb_dimension(arn: str) -> str:
    """CloudWatch's dimension value of an ELB ARN: ``app/name/id``, ``targetgroup/name/id``."""
    return arn.split(":", 5)[-1].removeprefix("loadbalancer/")


def _registered(instance: Any) -> tuple[float, float]:
    cpu = memory = 1.0
    for resource in instance.registered_resources:
        if resource["name"] == "CPU":
            cpu = float(resource["integerValue"]) or 1.0
        elif resource["name"] == "MEMORY":
            memory = float(resource["integerValue"]) or 1.0
    return cpu, memory


def seed_history(ecs: Any, store: MetricStore, seed: str, now: float | None = None) -> int:
    """``HISTORY_S`` of per-minute datapoints for every cluster; returns how many."""
    now = time.time() if now is None else now
    rng = random.Random(seed)
    first = now - HISTORY_S
    first -= first % HISTORY_STEP_S
    count = 0
    for cluster_name in list(ecs.clusters):
        handles = ClusterSeries(store, cluster_name)
        when = first
        while when < now:
            count += emit_cluster(ecs, cluster_name, handles, when, rng)
            when += HISTORY_STEP_S
    return count
