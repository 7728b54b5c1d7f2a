"""Rows for `opskit ls` and `opskit show`: model values -> flat dicts for tables and JSON.

Pure: no AWS, no printing. Column names are the JSON keys, so scripts and people read the
same names. Values are what a script wants (numbers as numbers, full ids, ISO 8601 UTC
times); a table formats them (``Percent`` prints as ``54%``, serializes as ``54.2``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from opskit.estate.model import (
    EnvironmentState,
    HealthSummary,
    Series,
    ServiceState,
    Snapshot,
    TargetGroupState,
    TaskState,
)

Row = dict[str, Any]


class Percent(float):
    """A percentage: a number in JSON (``54.2``), ``54%`` in a table."""

    def __str__(self) -> str:
        return f"{self:.0f}%"


def percent(series: Series | None) -> Percent | None:
    if series is None or series.latest is None:
        return None
    return Percent(round(series.latest, 1))


def health(summary: HealthSummary) -> str:
    """A short word for the state that most needs attention."""
    notes = []
    if summary.crash_looping:
        notes.append("crash-looping")
    if summary.deployment_failed:
        notes.append("deploy failed")
    elif summary.deployment_in_progress:
        notes.append("deploying")
    if summary.unhealthy_targets:
        notes.append(f"{summary.unhealthy_targets} unhealthy")
    if summary.missing_tasks and not summary.crash_looping:
        notes.append(f"{summary.missing_tasks} missing")
    return ", ".join(notes) or "ok"


def when(at: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC (``2026-12-07T21:25:22+00:00``), whatever zone the reader gave."""
    return at.astimezone(dt.UTC).isoformat(timespec="seconds") if at else None


def clusters(snapshot: Snapshot) -> list[Row]:
    return [
        {
            "env": env.name,
            "cluster": c.name,
            "concern": c.concern,
            "services": len(c.services),
            "tasks": c.running_tasks,
            "instances": len(c.instances),
            "cpu": percent(c.utilization.cpu),
            "memory": percent(c.utilization.memory),
            "cpu_reserved": _share(c.cpu_registered - c.cpu_remaining, c.cpu_registered),
            "memory_reserved": _share(
                c.memory_registered - c.memory_remaining, c.memory_registered
            ),
        }
        for env in snapshot.environments
        for c in env.clusters
    ]


def services(snapshot: Snapshot) -> list[Row]:
    return [service_row(env, s) for env in snapshot.environments for _, s in env.services()]


def service_row(env: EnvironmentState, s: ServiceState) -> Row:
    primary = next((d for d in s.deployments if d.status == "PRIMARY"), None)
    return {
        "env": env.name,
        "cluster": s.cluster,
        "service": s.name,
        "desired": s.desired,
        "running": s.running,
        "pending": s.pending,
        "tags": list(s.tags),
        "task_definition": s.task_definition,
        "rollout": primary.rollout_state if primary else None,
        "health": health(s.health),
        "cpu": percent(s.utilization.cpu),
        "memory": percent(s.utilization.memory),
        "dns": list(s.dns_names),
    }


def tasks(snapshot: Snapshot) -> list[Row]:
    return [
        task_row(env.name, s.cluster, t)
        for env in snapshot.environments
        for _, s in env.services()
        for t in s.tasks
    ]


def task_row(env: str, cluster: str, t: TaskState) -> Row:
    return {
        "env": env,
        "cluster": cluster,
        "service": t.service,
        "task": t.id,
        "status": t.last_status,
        "health": t.health,
        "started": when(t.started_at),
        "tags": sorted({c.tag for c in t.containers if c.tag}),
        "instance": t.container_instance,
        "stopped_reason": t.stopped_reason or None,
        "stop_kind": t.stop_kind.value or None,
    }


def instances(snapshot: Snapshot) -> list[Row]:
    return [
        {
            "env": env.name,
            "cluster": c.name,
            "instance": i.ec2_instance_id,
            "type": i.instance_type,
            "status": i.status,
            "agent": i.agent_connected,
            "tasks": i.running_tasks,
            "cpu_free": i.cpu_remaining,
            "cpu_units": i.cpu_registered,
            "memory_free": i.memory_remaining,
            "memory_mib": i.memory_registered,
            "cpu": percent(i.utilization.cpu),
            "memory": percent(i.utilization.memory),
        }
        for env in snapshot.environments
        for c in env.clusters
        for i in c.instances
    ]


def targets(snapshot: Snapshot, groups: Mapping[str, Iterable[TargetGroupState]]) -> list[Row]:
    """Target groups of each environment with their targets (read at detail depth)."""
    rows = []
    for env in snapshot.environments:
        owner = {g.arn: s.name for _, s in env.services() for g in s.target_groups}
        for group in groups.get(env.name, ()):
            base = {
                "env": env.name,
                "target_group": group.name,
                "service": owner.get(group.arn),
                "draining": group.deregistration_delay,
            }
            for t in group.targets or ():
                rows.append({**base, "target": t.id, "port": t.port, "state": t.state,
                             "reason": t.reason or None})  # fmt: skip
            if not group.targets:
                rows.append({**base, "target": None, "port": None, "state": "(no targets)",
                             "reason": None})  # fmt: skip
    return rows


def dns(snapshot: Snapshot) -> list[Row]:
    return [
        {
            "env": env.name,
            "zone": r.zone,
            "name": r.name,
            "type": r.type,
            "target": r.alias_target or ", ".join(r.values),
            "set": r.set_identifier or None,
            "weight": r.weight,
            "load_balancer": f"{r.target_env}/{r.load_balancer}" if r.load_balancer else None,
        }
        for env in snapshot.environments
        for r in env.dns
    ]


def _share(used: int, total: int) -> Percent | None:
    return Percent(round(100 * used / total, 1)) if total else None
