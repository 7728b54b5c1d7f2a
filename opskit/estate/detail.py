"""Detail depth for one service: what the overview leaves out, for the one thing on screen.

Adds, to the overview's view of the service: target health and draining delay of each of
its target groups (one DescribeTargetHealth and one DescribeTargetGroupAttributes per group),
its task definition (environment variables by name only), recently stopped tasks with
their classified reasons, and all the events ECS keeps (up to 100).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Protocol

from opskit.aws.ecs import TASKS_PER_CALL, EcsReader, batches
from opskit.aws.elbv2 import ElbReader
from opskit.config import Config
from opskit.errors import OpskitError, UsageError
from opskit.estate import parse
from opskit.estate.assemble import network, service
from opskit.estate.metrics import CPU, MEMORY, MetricQuery, MetricsSource
from opskit.estate.model import (
    EnvironmentState,
    ServiceState,
    TargetGroupState,
    TaskDefinitionState,
    TaskState,
)
from opskit.estate.region import RegionRead, service_key
from opskit.suggest import did_you_mean

if TYPE_CHECKING:
    from opskit.accounts import Accounts

ALL_EVENTS = 100
DEREGISTRATION_DELAY = "deregistration_delay.timeout_seconds"


class Estate(Protocol):
    """What a detail read needs of the estate reader (``collect.Estate``), so this module
    depends on that shape, not on the collector."""

    config: Config
    accounts: Accounts
    metrics: MetricsSource | None

    def window(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]: ...

    def task_definition(self, env: str, arn: str) -> TaskDefinitionState: ...


def read_service(estate: Estate, env: str, name: str, pool: Executor) -> ServiceState:
    """``name`` in ``env`` at detail depth; UsageError when it does not exist there."""
    region = estate.config.environment(env).region
    now = dt.datetime.now(dt.UTC)
    read = RegionRead(
        estate.accounts, env, region, pool=pool, metrics=estate.metrics,
        window=estate.window(now), dns=True,
    )  # fmt: skip
    ecs = EcsReader(read.client("ecs"), read.where)
    elb = ElbReader(read.client("elbv2"), read.where)
    cluster, raw = find_service(ecs, estate.config, env, name, pool)
    cluster_name = parse.arn_name(cluster)
    bound = {b.target_group_arn for b in parse.bindings(raw)}
    queries = [
        MetricQuery(service_key(cluster_name, name, m), m, cluster=cluster_name, service=name)
        for m in (CPU, MEMORY)
    ]
    with ThreadPoolExecutor(8, thread_name_prefix="detail") as chains:  # these wait on pool
        balancers = chains.submit(read.read_balancers, elb)
        zones = chains.submit(read.read_dns)
        series = chains.submit(read.read_series, queries)
        running = chains.submit(_tasks, ecs, cluster, name, "RUNNING", pool)
        stopped = chains.submit(_tasks, ecs, cluster, name, "STOPPED", pool)
        definition = pool.submit(estate.task_definition, env, raw.get("taskDefinition", ""))
        health = {arn: pool.submit(elb.target_health, arn) for arn in bound}
        attributes = {arn: pool.submit(elb.target_group_attributes, arn) for arn in bound}
        for part in (balancers, zones, series):
            part.result()
    net = network(read.raw)
    groups = {
        arn: _detailed(group, health[arn].result(), attributes[arn].result())
        for arn, group in net.groups.items()
        if arn in bound
    }
    unhealthy = {arn: float(g.unhealthy or 0) for arn, g in groups.items()}
    state = service(
        raw, cluster_name, running.result(), groups, net.names, unhealthy, read.raw.series, now,
        events=ALL_EVENTS, stopped=tuple(stopped.result()),
    )  # fmt: skip
    return dataclasses.replace(state, definition=definition.result())


def read_targets(
    estate: Estate, env: EnvironmentState, pool: Executor
) -> tuple[TargetGroupState, ...]:
    """Every target group of ``env`` with its targets' health and draining delay.

    Two calls per target group: for a command that asks for exactly this, not for a dashboard.
    """
    if not env.target_groups:
        return ()
    elb = ElbReader(estate.accounts.client(env.name, "elbv2", region=env.region), env.name)

    def one(group: TargetGroupState) -> TargetGroupState:
        attributes = pool.submit(elb.target_group_attributes, group.arn)
        return _detailed(group, elb.target_health(group.arn), attributes.result())

    with ThreadPoolExecutor(16, thread_name_prefix="targets") as chains:
        return tuple(chains.map(one, env.target_groups))


def find_service(
    ecs: EcsReader, config: Config, env: str, name: str, pool: Executor
) -> tuple[str, parse.AwsDict]:
    """The service's cluster ARN and description: the catalog's cluster, else any cluster."""
    known = config.services.get(name)
    clusters = [config.cluster_name(known.cluster)] if known else ecs.list_clusters()
    for found in pool.map(lambda c: ecs.describe_services(c, [name]), clusters):
        for raw in found:
            if raw.get("status") != "INACTIVE":
                return str(raw["clusterArn"]), raw
    where = ", ".join(parse.arn_name(c) for c in clusters) or "no clusters"
    hint = did_you_mean(name, _names_near(ecs, config, clusters, pool))
    message = f"service '{name}' not found in {env} (looked in: {where})"
    raise UsageError(f"{message}.{hint}" if hint else message)


def _names_near(ecs: EcsReader, config: Config, clusters: list[str], pool: Executor) -> set[str]:
    """Service names a typo may have meant: the catalog's and those live in ``clusters``
    (read only on this error path). A failure to list is no reason to hide the error."""
    names = set(config.services)
    try:
        for arns in pool.map(ecs.list_services, clusters):
            names.update(parse.arn_name(arn) for arn in arns)
    except OpskitError:
        pass
    return names


def _tasks(
    ecs: EcsReader, cluster: str, name: str, desired: str, pool: Executor
) -> list[TaskState]:
    arns = ecs.list_tasks(cluster, service=name, desired_status=desired)
    parts = pool.map(lambda part: ecs.describe_tasks(cluster, part), batches(arns, TASKS_PER_CALL))
    tasks = [parse.task(t) for part in parts for t in part]
    return [t for t in tasks if t.service == name]  # moto ignores serviceName: keep our own


def _detailed(
    group: TargetGroupState, targets: Sequence[parse.AwsDict], attributes: dict[str, str]
) -> TargetGroupState:
    delay = attributes.get(DEREGISTRATION_DELAY)
    return dataclasses.replace(
        group,
        targets=tuple(parse.target(t) for t in targets),
        deregistration_delay=int(delay) if delay else None,
    )
