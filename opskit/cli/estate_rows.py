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
    ContainerState,
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


def known(env: EnvironmentState, family: str, value: Any) -> Any:
    """``value``, or "unknown" when ``family`` could not be read in ``env`` (not empty)."""
    return "unknown" if family in env.unknown else value


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
            "standalone": c.standalone_running,
            "schedules": "?" if c.schedules is None else len(c.schedules),
            "instances": len(c.instances),
            "cpu": known(env, "metrics", percent(c.utilization.cpu)),
            "memory": known(env, "metrics", percent(c.utilization.memory)),
            "cpu_reserved": _share(c.cpu_registered - c.cpu_remaining, c.cpu_registered),
            "memory_reserved": _share(
                c.memory_registered - c.memory_remaining, c.memory_registered
            ),
        }
        for env in snapshot.environments
        for c in env.clusters
    ]


def services(snapshot: Snapshot, *, behind: bool = False) -> list[Row]:
    """Every service; with ``behind``, only those whose family has a newer revision."""
    return [
        service_row(env, s)
        for env in snapshot.environments
        for _, s in env.services()
        if not behind or s.behind
    ]


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
        "behind": s.revision_text if s.behind else None,
        "rollout": primary.rollout_state if primary else None,
        "health": health(s.health),
        "cpu": known(env, "metrics", percent(s.utilization.cpu)),
        "memory": known(env, "metrics", percent(s.utilization.memory)),
        "dns": known(env, "route53", list(s.dns_names)),
        "images": list(s.images),
    }


def tasks(snapshot: Snapshot) -> list[Row]:
    """Each cluster's service tasks, then its standalone ones (by who started them)."""
    return [
        task_row(env.name, c.name, t)
        for env in snapshot.environments
        for c in env.clusters
        for t in (*(t for s in c.services for t in s.tasks), *c.tasks)
    ]


def schedules(snapshot: Snapshot) -> list[Row]:
    """EventBridge rules and Scheduler schedules that run tasks, per cluster."""
    return [
        {
            "env": env.name,
            "cluster": c.name,
            "source": item.source,
            "name": item.name,
            "expression": item.expression or None,
            "state": item.state,
            "task_definition": item.task_definition,
            "count": item.count,
            "group": item.group or None,
        }
        for env in snapshot.environments
        for c in env.clusters
        for item in c.schedules or ()
    ]


def task_row(env: str, cluster: str, t: TaskState) -> Row:
    return {
        "env": env,
        "cluster": cluster,
        "service": t.service or None,
        "group": t.group or None,
        "started_by": t.started_by or None,
        "task": t.id,
        "status": t.last_status,
        "health": t.health,
        "started": when(t.started_at),
        "tags": sorted({c.tag for c in t.containers if c.tag}),
        "containers": len(t.containers),
        "instance": t.container_instance,
        "stopped_reason": t.stopped_reason or None,
        "stop_kind": t.stop_kind.value or None,
    }


def container_row(t: TaskState, c: ContainerState) -> Row:
    """One container of one task: image, status, health, exit code, reason."""
    return {
        "task": t.id,
        "container": c.name,
        "image": c.image,
        "status": c.last_status or None,
        "health": c.health,
        "exit_code": c.exit_code,
        "reason": c.reason or None,
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
            "cpu": known(env, "metrics", percent(i.utilization.cpu)),
            "memory": known(env, "metrics", percent(i.utilization.memory)),
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
            "load_balancer": f"{r.target_env}/{r.load_balancer}"
            if r.load_balancer
            else known(env, "elbv2", None),
        }
        for env in snapshot.environments
        for r in env.dns
    ]


def _share(used: int, total: int) -> Percent | None:
    return Percent(round(100 * used / total, 1)) if total else None
