"""Raw answers of one region -> model values: clusters, services, tasks, balancers, DNS.

Pure (no calls): joins what the read fetched separately. Tasks join their service by
``group`` (``service:NAME``; moto's ListTasks ignores ``serviceName``, and one cluster-wide
listing is cheaper anyway), target groups join services by ARN, and DNS records join
services through the balancers' host rules (or a balancer's default forward).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial

from opskit.config import Config
from opskit.estate import parse
from opskit.estate.classify import crash_looping
from opskit.estate.metrics import CPU, MEMORY
from opskit.estate.model import (
    ClusterState,
    DnsRecord,
    HealthSummary,
    InstanceState,
    LoadBalancerState,
    Series,
    ServiceState,
    TargetGroupState,
    TaskState,
    Utilization,
)
from opskit.estate.raw_region import RawRegion, Routes
from opskit.estate.region import (
    cluster_key,
    instance_key,
    service_key,
    target_group_key,
)
from opskit.estate.schedules import by_cluster

EVENTS = 10  # recent service events kept at overview depth


@dataclass(frozen=True)
class RegionState:
    clusters: tuple[ClusterState, ...]
    load_balancers: tuple[LoadBalancerState, ...]
    target_groups: tuple[TargetGroupState, ...]
    dns: tuple[DnsRecord, ...]


def utilization(series: Mapping[str, Series], key: Callable[[str], str]) -> Utilization:
    """CPU and memory series stored under ``key(metric)``."""
    return Utilization(series.get(key(CPU)), series.get(key(MEMORY)))


def concerns(config: Config) -> dict[str, str]:
    """AWS cluster name -> concern, from the config."""
    return {config.cluster_name(name): c.concern for name, c in config.clusters.items()}


@dataclass(frozen=True)
class Network:
    """A region's balancers, target groups (by ARN), records, and names per target group."""

    balancers: tuple[LoadBalancerState, ...]
    groups: dict[str, TargetGroupState]
    records: tuple[DnsRecord, ...]
    names: dict[str, set[str]]


def network(raw: RawRegion) -> Network:
    balancers = tuple(parse.load_balancer(lb, raw.region) for lb in raw.load_balancers)
    groups = {g["TargetGroupArn"]: parse.target_group(g, raw.region) for g in raw.target_groups}
    lb_by_host = {parse.dns_host(lb.dns_name): lb.name for lb in balancers}
    records = tuple(parse.dns_record(r, zone, lb_by_host) for zone, rows in raw.zones for r in rows)
    names = dns_names(records, raw.routes, {lb.name: lb.arn for lb in balancers})
    return Network(balancers, groups, records, names)


def assemble(raw: RawRegion, config: Config, now: dt.datetime) -> RegionState:
    net = network(raw)
    groups, names = net.groups, net.names
    unhealthy = {
        arn: raw.series[target_group_key(arn)].latest
        for arn in groups
        if target_group_key(arn) in raw.series
    }
    concern_of = concerns(config)
    order = list(concern_of)
    schedules = by_cluster(raw.schedules) if raw.schedules is not None else None
    clusters = []
    for cluster in raw.clusters:
        arn, name = cluster["clusterArn"], cluster["clusterName"]
        tags = {t.get("key"): t.get("value") for t in cluster.get("tags", []) or []}
        by_service: dict[str, list[TaskState]] = defaultdict(list)
        for task in raw.tasks.get(arn, []):
            state = parse.task(task)
            by_service[state.service].append(state)
        services = tuple(
            sorted(
                (
                    with_latest(
                        service(s, name, by_service.get(s["serviceName"], []), groups, names,
                                unhealthy, raw.series, now),
                        raw.latest,
                    )
                    for s in raw.services.get(arn, [])
                ),
                key=lambda s: s.name,
            )
        )  # fmt: skip
        clusters.append(
            ClusterState(
                name=name,
                arn=arn,
                concern=concern_of.get(name) or str(tags.get("concern") or ""),
                status=cluster.get("status", ""),
                region=raw.region,
                instances=instances(raw.instances.get(arn, []), raw.series),
                services=services,
                utilization=utilization(raw.series, partial(cluster_key, name)),
                tasks=tuple(sorted(by_service.get("", []), key=_standalone_order)),
                schedules=None if schedules is None else schedules.get(name, ()),
            )
        )
    clusters.sort(key=lambda c: (order.index(c.name) if c.name in order else len(order), c.name))
    return RegionState(tuple(clusters), net.balancers, tuple(groups.values()), net.records)


def instances(
    rows: Iterable[parse.AwsDict], series: Mapping[str, Series]
) -> tuple[InstanceState, ...]:
    out = []
    for row in rows:
        state = parse.instance(row)
        use = utilization(series, partial(instance_key, state.ec2_instance_id))
        out.append(dataclasses.replace(state, utilization=use))
    return tuple(sorted(out, key=lambda i: i.ec2_instance_id or i.id))


def service(
    raw: parse.AwsDict,
    cluster: str,
    tasks: list[TaskState],
    groups: Mapping[str, TargetGroupState],
    names: Mapping[str, set[str]],
    unhealthy: Mapping[str, float | None],
    series: Mapping[str, Series],
    now: dt.datetime,
    *,
    events: int = EVENTS,
    stopped: tuple[TaskState, ...] = (),
) -> ServiceState:
    """One service with its tasks, target groups, DNS names, health and utilization."""
    name = raw["serviceName"]
    bindings = parse.bindings(raw)
    bound = tuple(dict.fromkeys(b.target_group_arn for b in bindings))
    target_groups = tuple(groups[arn] for arn in bound if arn in groups)
    deployments = tuple(parse.deployment(d) for d in raw.get("deployments", []))
    recent = parse.events(raw.get("events", []), events)
    desired, running = int(raw.get("desiredCount", 0)), int(raw.get("runningCount", 0))
    counts = [unhealthy[arn] for arn in bound if unhealthy.get(arn) is not None]
    primary = next((d for d in deployments if d.status == "PRIMARY"), None)
    health = HealthSummary(
        crash_looping=crash_looping(
            desired=desired,
            running=running,
            deployments=deployments,
            events=recent,
            stopped=stopped,
            now=now,
        ),
        deployment_in_progress=len(deployments) > 1
        or any(d.rollout_state == "IN_PROGRESS" for d in deployments),
        deployment_failed=primary is not None and primary.rollout_state == "FAILED",
        unhealthy_targets=int(sum(c or 0 for c in counts)) if counts else None,
        missing_tasks=max(0, desired - running),
    )
    images = tuple(dict.fromkeys(c.image for t in tasks for c in t.containers if c.image))
    return ServiceState(
        name=name,
        arn=raw["serviceArn"],
        cluster=cluster,
        status=raw.get("status", ""),
        desired=desired,
        running=running,
        pending=int(raw.get("pendingCount", 0)),
        task_definition=parse.family_revision(
            primary.task_definition if primary else raw.get("taskDefinition", "")
        ),
        images=images,
        launch_type=raw.get("launchType", "") or "",
        deployments=deployments,
        events=recent,
        load_balancers=bindings,
        target_groups=target_groups,
        dns_names=tuple(sorted({n for arn in bound for n in names.get(arn, ())})),
        tasks=tuple(sorted([*tasks, *stopped], key=_task_order)),
        health=health,
        utilization=utilization(series, partial(service_key, cluster, name)),
        created_at=parse.when(raw.get("createdAt")),
    )


def with_latest(state: ServiceState, latest: Mapping[str, int]) -> ServiceState:
    """The service with its family's newest ACTIVE revision, when that was read."""
    family = state.task_definition.rsplit(":", 1)[0]
    if family not in latest:
        return state
    return dataclasses.replace(state, latest_revision=latest[family])


def dns_names(
    records: Iterable[DnsRecord], routes: Routes, lb_arn: Mapping[str, str]
) -> dict[str, set[str]]:
    """Target group ARN -> record names that reach it (host rule first, else default)."""
    out: dict[str, set[str]] = defaultdict(set)
    for record in records:
        if not record.load_balancer:
            continue
        groups = routes.by_host.get(record.name.lower()) or routes.by_balancer.get(
            lb_arn.get(record.load_balancer, ""), set()
        )
        for group in groups:
            out[group].add(record.name)
    return out


def _standalone_order(task: TaskState) -> tuple[str, str, str]:
    """Standalone tasks grouped by who started them, then by group."""
    return (task.started_by, task.group, task.id)


def _task_order(task: TaskState) -> tuple[bool, dt.datetime, str]:
    at = task.started_at or dt.datetime.min.replace(tzinfo=dt.UTC)
    return (task.last_status == "STOPPED", at, task.id)
