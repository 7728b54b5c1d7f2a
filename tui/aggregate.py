"""Roll-ups the dashboard shows: an environment's or cluster's CPU/memory and attention.

Used = the latest utilization point (CloudWatch), reserved = the share of registered
capacity that tasks have claimed. Pure functions over the estate model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from opskit.estate import ClusterState, EnvironmentState
from tui.format import used_pct


@dataclass(frozen=True)
class Load:
    """CPU and memory, used and reserved, in percent (None when unknown)."""

    cpu_used: float | None
    cpu_reserved: float | None
    mem_used: float | None
    mem_reserved: float | None
    cpu_series: tuple[float, ...] = ()
    mem_series: tuple[float, ...] = ()


@dataclass(frozen=True)
class EnvSummary:
    """An environment at a glance."""

    load: Load
    clusters: int
    services: int
    tasks: int
    desired: int
    attention: int  # services that are not ok
    standalone: int = 0  # running tasks no service owns (RunTask, schedules, batch)


def cluster_load(cluster: ClusterState) -> Load:
    util = cluster.utilization
    return Load(
        cpu_used=util.cpu.latest if util.cpu else None,
        cpu_reserved=used_pct(cluster.cpu_registered, cluster.cpu_remaining),
        mem_used=util.memory.latest if util.memory else None,
        mem_reserved=used_pct(cluster.memory_registered, cluster.memory_remaining),
        cpu_series=util.cpu.values if util.cpu else (),
        mem_series=util.memory.values if util.memory else (),
    )


def combine(loads: Sequence[Load], weights: Sequence[float]) -> Load:
    """Loads averaged by weight (registered CPU), series point by point."""

    def mean(values: Iterable[tuple[float | None, float]]) -> float | None:
        known = [(v, w) for v, w in values if v is not None]
        total = sum(w for _, w in known)
        if not known:
            return None
        if total <= 0:
            return sum(v for v, _ in known) / len(known)
        return sum(v * w for v, w in known) / total

    def series(rows: list[tuple[float, ...]]) -> tuple[float, ...]:
        rows = [r for r in rows if r]
        if not rows:
            return ()
        size = min(len(r) for r in rows)
        return tuple(sum(r[-size + i] for r in rows) / len(rows) for i in range(size))

    pairs = list(zip(loads, weights, strict=True))
    return Load(
        cpu_used=mean((load.cpu_used, w) for load, w in pairs),
        cpu_reserved=mean((load.cpu_reserved, w) for load, w in pairs),
        mem_used=mean((load.mem_used, w) for load, w in pairs),
        mem_reserved=mean((load.mem_reserved, w) for load, w in pairs),
        cpu_series=series([load.cpu_series for load in loads]),
        mem_series=series([load.mem_series for load in loads]),
    )


def env_summary(env: EnvironmentState) -> EnvSummary:
    loads = [cluster_load(c) for c in env.clusters]
    weights = [float(c.cpu_registered) for c in env.clusters]
    services = [s for _, s in env.services()]
    return EnvSummary(
        load=combine(loads, weights),
        clusters=len(env.clusters),
        services=len(services),
        tasks=sum(s.running for s in services),
        desired=sum(s.desired for s in services),
        attention=sum(1 for s in services if not s.health.ok),
        standalone=sum(c.standalone_running for c in env.clusters),
    )
