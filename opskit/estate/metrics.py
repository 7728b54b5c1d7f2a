"""Where utilization comes from: a small ``MetricsSource`` protocol and its CloudWatch source.

The collector asks for series by *meaning* (CPU of a service, memory of a host, unhealthy
targets of a target group) in ``MetricQuery`` values, in batches of ``batch_size``; a source
answers with ``Series`` keyed by each query's ``key``. The CloudWatch source turns them into
GetMetricData queries (500 per call); ``[metrics] source = "datadog"`` plugs in another source
with the same two members, so the collector never knows which one it talks to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from opskit.aws.cloudwatch import QUERIES_PER_CALL, MetricsReader, metric_query
from opskit.config import Config
from opskit.errors import ConfigError
from opskit.estate.model import Series

if TYPE_CHECKING:
    from types_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef

CPU, MEMORY, UNHEALTHY = "cpu", "memory", "unhealthy"


@dataclass(frozen=True)
class MetricQuery:
    """One series wanted: ``metric`` (cpu | memory | unhealthy) of one thing.

    Scope by the fields set: ``cluster`` alone (a cluster), ``cluster`` + ``service`` (a
    service), ``instance`` (an EC2 host id, with its ``cluster`` and ECS
    ``container_instance`` id), or ``target_group`` (+ ``load_balancer``, both ARNs) for
    unhealthy target counts.
    """

    key: str
    metric: str
    cluster: str = ""
    service: str = ""
    instance: str = ""
    container_instance: str = ""
    target_group: str = ""
    load_balancer: str = ""


class MetricsSource(Protocol):
    """Answers MetricQuery batches for one environment and region."""

    batch_size: int

    def fetch(
        self,
        env: str,
        region: str,
        queries: Sequence[MetricQuery],
        start: dt.datetime,
        end: dt.datetime,
    ) -> dict[str, Series]:
        """Series by query key (a query with no data may be missing). At most ``batch_size``.

        Raises OpskitError (AuthError, AwsError…) when the source cannot answer.
        """
        ...


class ClientSource(Protocol):
    def client(
        self, env: str, service: str, access: str = "read", region: str | None = None
    ) -> Any: ...


# (namespace, metric name, statistic) for each metric and scope; dimensions are built below.
CLOUDWATCH = {
    (CPU, "cluster"): ("AWS/ECS", "CPUUtilization", "Average"),
    (MEMORY, "cluster"): ("AWS/ECS", "MemoryUtilization", "Average"),
    (CPU, "service"): ("AWS/ECS", "CPUUtilization", "Average"),
    (MEMORY, "service"): ("AWS/ECS", "MemoryUtilization", "Average"),
    (CPU, "instance"): ("ECS/ContainerInsights", "instance_cpu_utilization", "Average"),
    (MEMORY, "instance"): ("ECS/ContainerInsights", "instance_memory_utilization", "Average"),
    (UNHEALTHY, "target_group"): ("AWS/ApplicationELB", "UnHealthyHostCount", "Maximum"),
}
UNHEALTHY_PERIOD = 300  # only the latest value matters: fewer points to fetch and parse


def scope(query: MetricQuery) -> str:
    if query.target_group:
        return "target_group"
    if query.instance:
        return "instance"
    return "service" if query.service else "cluster"


def elb_dimension(arn: str) -> str:
    """CloudWatch's ELB dimension value of an ARN: ``app/name/id``, ``targetgroup/name/id``."""
    return arn.split(":", 5)[-1].removeprefix("loadbalancer/")


class CloudWatchSource:
    """Utilization from CloudWatch GetMetricData, one call per 500 queries."""

    batch_size = QUERIES_PER_CALL

    def __init__(self, accounts: ClientSource, *, period: int = 60) -> None:
        self.accounts = accounts
        self.period = period

    def fetch(
        self,
        env: str,
        region: str,
        queries: Sequence[MetricQuery],
        start: dt.datetime,
        end: dt.datetime,
    ) -> dict[str, Series]:
        client = self.accounts.client(env, "cloudwatch", region=region)
        reader = MetricsReader(client, f"{env} ({region})")
        ids = {f"q{i}": q for i, q in enumerate(queries)}
        answer = reader.get([self._cloudwatch(i, q) for i, q in ids.items()], start, end)
        out = {}
        for query_id, (times, values) in answer.items():
            query = ids[query_id]
            out[query.key] = Series(query.metric, tuple(times), tuple(values))
        return out

    def _cloudwatch(self, query_id: str, query: MetricQuery) -> MetricDataQueryTypeDef:
        where = scope(query)
        namespace, metric, stat = CLOUDWATCH[(query.metric, where)]
        dimensions = {"ClusterName": query.cluster}
        if where == "service":
            dimensions["ServiceName"] = query.service
        elif where == "instance":  # Container Insights' dimension set for a host
            dimensions["ContainerInstanceId"] = query.container_instance
            dimensions["EC2InstanceId"] = query.instance
        elif where == "target_group":
            dimensions = {"TargetGroup": elb_dimension(query.target_group)}
            if query.load_balancer:
                dimensions["LoadBalancer"] = elb_dimension(query.load_balancer)
        period = UNHEALTHY_PERIOD if query.metric == UNHEALTHY else self.period
        return metric_query(query_id, namespace, metric, dimensions, period=period, stat=stat)


SourceFactory = Callable[[Config, ClientSource], MetricsSource]
SOURCES: dict[str, SourceFactory] = {
    "cloudwatch": lambda config, accounts: CloudWatchSource(
        accounts, period=config.metrics.period_seconds
    ),
}


def register_source(name: str, factory: SourceFactory) -> None:
    """Make ``[metrics] source = name`` use ``factory``."""
    SOURCES[name] = factory


def metrics_source(config: Config, accounts: ClientSource) -> MetricsSource:
    """The source ``[metrics] source`` names (ConfigError when it is not available)."""
    name = config.metrics.source
    if name not in SOURCES:
        raise ConfigError(
            f"{config.path}: [metrics] source = '{name}' is not available here "
            f"(available: {', '.join(sorted(SOURCES))})"
        )
    return SOURCES[name](config, accounts)
