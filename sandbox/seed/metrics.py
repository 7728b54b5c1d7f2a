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
from dataclasses import dataclass
from typing import Any

from sandbox.seed import targets as estate_targets
from sandbox.seed.cloudwatch import MetricStore, Series
from sandbox.seed.context import backend

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
    service: Any,
    task_cpu: int,
    task_memory: int,
    running: int,
    when: float,
    noise: Callable[[], float],
) -> _Usage:
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


@dataclass(frozen=True)
class _RunningService:
    service: Any  # moto Service (its load profile)
    dims: Dims
    task_cpu: int
    task_memory: int
    hosts: tuple[str, ...]  # container instance id of each running task


@dataclass(frozen=True)
class _Host:
    dims: Dims
    ec2_dims: Dims
    instance_id: str
    cpu: float
    memory: float


@dataclass(frozen=True)
class ClusterState:
    """What the metrics of one cluster are computed from, read from moto once."""

    name: str
    services: tuple[_RunningService, ...]
    hosts: tuple[_Host, ...]
    target_groups: tuple[tuple[Dims, int, int], ...]  # dims, healthy, unhealthy


def read_cluster(ecs: Any, cluster_name: str) -> ClusterState:
    """The running tasks, hosts and target health of one cluster right now."""
    running: dict[str, list[Any]] = {}
    for task in list(ecs.tasks.get(cluster_name, {}).values()):
        if task.last_status == "RUNNING":
            running.setdefault(task.group, []).append(task)
    elbv2 = backend("elbv2", ecs.account_id, ecs.region_name)
    services, groups = [], []
    for service in list(ecs.services.values()):
        if service.cluster_name != cluster_name or service.status != "ACTIVE":
            continue
        tasks = running.get(f"service:{service.name}", [])
        if tasks and getattr(service, "_opskit_profile", None) is not None:
            services.append(
                _RunningService(
                    service=service,
                    dims=(("ClusterName", cluster_name), ("ServiceName", service.name)),
                    task_cpu=int(tasks[0].resource_requirements["CPU"]) or 256,
                    task_memory=int(tasks[0].resource_requirements["MEMORY"]) or 512,
                    hosts=tuple((t.container_instance_arn or "").split("/")[-1] for t in tasks),
                )
            )
        for binding in service.load_balancers or []:
            group = elbv2.target_groups.get(binding.get("targetGroupArn"))
            if group is not None and group.load_balancer_arns:
                states = [estate_targets.state(group, target) for target in list(group.targets)]
                group_dims: Dims = (
                    ("LoadBalancer", elb_dimension(group.load_balancer_arns[0])),
                    ("TargetGroup", elb_dimension(group.arn)),
                )
                groups.append((group_dims, states.count("healthy"), states.count("unhealthy")))
    hosts = []
    for instance_id, instance in list(ecs.container_instances.get(cluster_name, {}).items()):
        cpu, memory = _registered(instance)
        host_dims: Dims = (
            ("ClusterName", cluster_name),
            ("ContainerInstanceId", instance_id),
            ("EC2InstanceId", instance.ec2_instance_id),
        )
        ec2: Dims = (("InstanceId", instance.ec2_instance_id),)
        hosts.append(_Host(host_dims, ec2, instance_id, cpu, memory))
    return ClusterState(cluster_name, tuple(services), tuple(hosts), tuple(groups))


def emit_cluster(
    ecs: Any, cluster_name: str, handles: ClusterSeries, when: float, rng: random.Random
) -> int:
    """One datapoint of every series of a cluster at ``when``; returns how many."""
    return emit(read_cluster(ecs, cluster_name), handles, when, rng)


def emit(state: ClusterState, handles: ClusterSeries, when: float, rng: random.Random) -> int:
    """One datapoint of every series of a cluster in ``state`` at ``when``."""

    def noise() -> float:
        return rng.gauss(0.0, 0.06)

    used_cpu = used_memory = reserved_cpu = reserved_memory = 0.0
    host_cpu: dict[str, float] = {}
    host_memory: dict[str, float] = {}
    for item in state.services:
        count = len(item.hosts)
        usage = _service_usage(item.service, item.task_cpu, item.task_memory, count, when, noise)
        cpu_share = usage.cpu_used / (count * item.task_cpu)
        memory_share = usage.memory_used / (count * item.task_memory)
        handles.put(ECS, CPU_UTILIZATION, item.dims, when, 100 * cpu_share)
        handles.put(ECS, MEMORY_UTILIZATION, item.dims, when, 100 * memory_share)
        used_cpu += usage.cpu_used
        used_memory += usage.memory_used
        reserved_cpu += count * item.task_cpu
        reserved_memory += count * item.task_memory
        for instance_id in item.hosts:
            host_cpu[instance_id] = host_cpu.get(instance_id, 0.0) + usage.cpu_used / count
            host_memory[instance_id] = host_memory.get(instance_id, 0.0) + usage.memory_used / count
    for dims, healthy, unhealthy in state.target_groups:
        handles.count(ALB, HEALTHY_HOSTS, dims, when, healthy)
        handles.count(ALB, UNHEALTHY_HOSTS, dims, when, unhealthy)
    total_cpu = total_memory = 0.0
    for host in state.hosts:
        total_cpu += host.cpu
        total_memory += host.memory
        cpu_share = host_cpu.get(host.instance_id, 0.0) / host.cpu + OS_CPU_SHARE * (1 + noise())
        memory = host_memory.get(host.instance_id, 0.0) + AGENT_MEMORY_MIB
        memory_share = memory / (host.memory + AGENT_MEMORY_MIB)
        handles.put(INSIGHTS, INSTANCE_CPU, host.dims, when, 100 * cpu_share)
        handles.put(INSIGHTS, INSTANCE_MEMORY, host.dims, when, 100 * memory_share)
        handles.put(EC2, CPU_UTILIZATION, host.ec2_dims, when, 100 * cpu_share + 1.5)
    if total_cpu and total_memory:
        cluster: Dims = (("ClusterName", state.name),)
        handles.put(ECS, CPU_UTILIZATION, cluster, when, 100 * used_cpu / total_cpu)
        handles.put(ECS, MEMORY_UTILIZATION, cluster, when, 100 * used_memory / total_memory)
        handles.put(ECS, CPU_RESERVATION, cluster, when, 100 * reserved_cpu / total_cpu)
        handles.put(ECS, MEMORY_RESERVATION, cluster, when, 100 * reserved_memory / total_memory)
    cluster_series = 4 if total_cpu and total_memory else 0
    return (
        2 * len(state.services)
        + 2 * len(state.target_groups)
        + 3 * len(state.hosts)
        + cluster_series
    )


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
        state = read_cluster(ecs, cluster_name)  # the estate as seeded: steady for hours
        when = first
        while when < now:
            count += emit(state, handles, when, rng)
            when += HISTORY_STEP_S
    return count
