"""Utilization from Datadog: the estate's ``MetricsSource`` for ``[metrics] source = "datadog"``.

Each ``MetricQuery`` (CPU or memory of a cluster, service or host; unhealthy targets of a
target group) becomes the Datadog query its AWS integration answers (``aws.ecs.…``,
``aws.applicationelb.…``, dimensions as lower-case tags, scoped by ``aws_account`` and
``region``). Up to ``batch_size`` of them go comma-separated in one GET /api/v1/query and
come back told apart by ``query_index``, as ``Series`` of the same shape CloudWatch gives.
The composition root registers ``datadog_source`` with ``opskit.estate.metrics``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from opskit.config import Config
from opskit.datadog.client import DatadogClient
from opskit.estate.metrics import (
    CPU,
    MEMORY,
    UNHEALTHY,
    UNHEALTHY_PERIOD,
    ClientSource,
    MetricQuery,
    elb_dimension,
    scope,
)
from opskit.estate.model import Series

# (metric, scope) -> Datadog metric name (the AWS integration's naming of CloudWatch's).
DATADOG = {
    (CPU, "cluster"): "aws.ecs.cpuutilization",
    (MEMORY, "cluster"): "aws.ecs.memory_utilization",
    (CPU, "service"): "aws.ecs.service.cpuutilization",
    (MEMORY, "service"): "aws.ecs.service.memory_utilization",
    (CPU, "instance"): "aws.ecs.containerinsights.instance_cpu_utilization",
    (MEMORY, "instance"): "aws.ecs.containerinsights.instance_memory_utilization",
    (UNHEALTHY, "target_group"): "aws.applicationelb.un_healthy_host_count",
}
BATCH_SIZE = 40  # queries per request: keeps the URL well under 8 KB


def datadog_query(query: MetricQuery, account_id: str, region: str, period: int) -> str:
    """The Datadog query for one MetricQuery."""
    where = scope(query)
    tags = [f"aws_account:{account_id}", f"region:{region}"]
    if where == "target_group":
        tags.append(f"targetgroup:{elb_dimension(query.target_group)}")
        if query.load_balancer:
            tags.append(f"loadbalancer:{elb_dimension(query.load_balancer)}")
        aggregate, period = "max", UNHEALTHY_PERIOD
    else:
        tags.append(f"clustername:{query.cluster}")
        if where == "service":
            tags.append(f"servicename:{query.service}")
        elif where == "instance":  # Container Insights' dimensions for a host
            tags.append(f"containerinstanceid:{query.container_instance}")
            tags.append(f"ec2instanceid:{query.instance}")
        aggregate = "avg"
    metric = DATADOG[(query.metric, where)]
    return f"{aggregate}:{metric}{{{','.join(tags)}}}.rollup({aggregate}, {period})"


class DatadogSource:
    """Answers MetricQuery batches with Datadog's v1 metric query API."""

    batch_size = BATCH_SIZE

    def __init__(self, config: Config, client: DatadogClient | None = None) -> None:
        self.config = config
        self.period = config.metrics.period_seconds
        self._client = client

    def client(self) -> DatadogClient:
        """The client (keys are read on first use, so a missing key fails a fetch, not
        the collector's start)."""
        if self._client is None:
            self._client = DatadogClient.from_settings(self.config.datadog)
        return self._client

    def fetch(
        self,
        env: str,
        region: str,
        queries: Sequence[MetricQuery],
        start: dt.datetime,
        end: dt.datetime,
    ) -> dict[str, Series]:
        if len(queries) > self.batch_size:
            raise ValueError(f"at most {self.batch_size} queries per Datadog request")
        if not queries:
            return {}
        account = self.config.environment(env).account_id
        text = ",".join(datadog_query(q, account, region, self.period) for q in queries)
        answer = self._query(int(start.timestamp()), int(end.timestamp()), text, env)
        out: dict[str, Series] = {}
        for series in answer.get("series") or []:
            index = series.get("query_index")
            if not isinstance(index, int) or not 0 <= index < len(queries):
                continue
            query = queries[index]
            times, values = [], []
            for when, value in series.get("pointlist") or []:
                if value is None:
                    continue
                times.append(dt.datetime.fromtimestamp(when / 1000, dt.UTC))
                values.append(float(value))
            out[query.key] = Series(query.metric, tuple(times), tuple(values))
        return out

    def _query(self, start: int, end: int, text: str, env: str) -> dict[str, Any]:
        from datadog_api_client.v1.api.metrics_api import MetricsApi

        def run(api: Any) -> dict[str, Any]:
            answer = MetricsApi(api).query_metrics(_from=start, to=end, query=text)  # type: ignore[no-untyped-call]
            data: dict[str, Any] = answer.to_dict()  # type: ignore[no-untyped-call]
            return data

        return self.client().call(f"query {env} utilization", run)


def datadog_source(config: Config, accounts: ClientSource) -> DatadogSource:
    """The factory the composition root registers as ``[metrics] source = "datadog"``."""
    return DatadogSource(config)
