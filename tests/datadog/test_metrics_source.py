"""``[metrics] source = "datadog"``: the same series, in the same shape, as from CloudWatch."""

from __future__ import annotations

import datetime as dt
from typing import Any

import boto3
import pytest
from dd_support import ROOT, repo_config, wired
from moto import mock_aws

from opskit.estate.datadog_metrics import DatadogSource, datadog_query
from opskit.estate.metrics import (
    CPU,
    MEMORY,
    UNHEALTHY,
    CloudWatchSource,
    MetricQuery,
    metrics_source,
)
from sandbox.datadog.endpoint import DatadogEndpoint

TG = "arn:aws:elasticloadbalancing:eu-west-1:222222222222:targetgroup/dev-api/0123456789abcdef"
LB = "arn:aws:elasticloadbalancing:eu-west-1:222222222222:loadbalancer/app/dev-api/fedcba987654"
QUERIES = [
    MetricQuery("cluster-cpu", CPU, cluster="dd-metrics"),
    MetricQuery("svc-cpu", CPU, cluster="dd-metrics", service="api"),
    MetricQuery("svc-mem", MEMORY, cluster="dd-metrics", service="api"),
    MetricQuery("host-cpu", CPU, cluster="dd-metrics", instance="i-0abc", container_instance="ci1"),
    MetricQuery("tg", UNHEALTHY, target_group=TG, load_balancer=LB),
    MetricQuery("none", MEMORY, cluster="dd-metrics", service="absent"),
]


class OneClient:
    def __init__(self, client: Any) -> None:
        self.cloudwatch = client

    def client(
        self, env: str, service: str, access: str = "read", region: str | None = None
    ) -> Any:
        return self.cloudwatch


def _put(cw: Any, now: dt.datetime) -> None:
    series = [
        ("AWS/ECS", "CPUUtilization", {"ClusterName": "dd-metrics"}, 40.0),
        ("AWS/ECS", "CPUUtilization", {"ClusterName": "dd-metrics", "ServiceName": "api"}, 20.0),
        ("AWS/ECS", "MemoryUtilization", {"ClusterName": "dd-metrics", "ServiceName": "api"}, 50.0),
        (
            "ECS/ContainerInsights",
            "instance_cpu_utilization",
            {"ClusterName": "dd-metrics", "ContainerInstanceId": "ci1", "EC2InstanceId": "i-0abc"},
            30.0,
        ),
        (
            "AWS/ApplicationELB",
            "UnHealthyHostCount",
            {
                "TargetGroup": "targetgroup/dev-api/0123456789abcdef",
                "LoadBalancer": "app/dev-api/fedcba987654",
            },
            1.0,
        ),
    ]
    for namespace, name, dims, base in series:
        cw.put_metric_data(
            Namespace=namespace,
            MetricData=[
                {
                    "MetricName": name,
                    "Value": base + minute,
                    "Timestamp": now - dt.timedelta(minutes=minute),
                    "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                }
                for minute in range(1, 6)
            ],
        )


def test_datadog_source_answers_like_cloudwatch(endpoint: DatadogEndpoint) -> None:
    config = wired(repo_config(), endpoint.url)
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    start, end = now - dt.timedelta(minutes=10), now
    with mock_aws():
        sts = boto3.client(
            "sts",
            region_name="eu-west-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        creds = sts.assume_role(
            RoleArn="arn:aws:iam::222222222222:role/opskit-read", RoleSessionName="test"
        )["Credentials"]
        cw = boto3.client(
            "cloudwatch",
            region_name="eu-west-1",
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        _put(cw, now)
        from_cloudwatch = CloudWatchSource(OneClient(cw)).fetch(
            "dev", "eu-west-1", QUERIES, start, end
        )
        from_datadog = DatadogSource(config).fetch("dev", "eu-west-1", QUERIES, start, end)

    with_data = {k for k, series in from_cloudwatch.items() if series.values}
    assert with_data == {k for k, series in from_datadog.items() if series.values}
    assert with_data == {q.key for q in QUERIES} - {"none"}  # no data may be missing
    for key in with_data:
        cloud, got = from_cloudwatch[key], from_datadog[key]
        assert got.metric == cloud.metric
        assert sorted(zip(got.timestamps, got.values, strict=True)) == pytest.approx(
            sorted(zip(cloud.timestamps, cloud.values, strict=True))
        )
    assert list(from_datadog["svc-cpu"].values) == [25.0, 24.0, 23.0, 22.0, 21.0]  # oldest first
    assert from_datadog["svc-cpu"].timestamps == tuple(sorted(from_datadog["svc-cpu"].timestamps))
    assert from_datadog["tg"].values == (6.0,)  # the max of one 5-minute period
    assert from_datadog["tg"].timestamps == (start + dt.timedelta(minutes=5),)


def test_the_source_is_chosen_by_config() -> None:
    """The composition root registers the Datadog source by name; config picks it."""
    from opskit.workspace import register_plugins

    register_plugins()
    config = repo_config()
    config = config.model_copy(
        update={"metrics": config.metrics.model_copy(update={"source": "datadog"})}
    )
    assert isinstance(metrics_source(config, OneClient(None)), DatadogSource)


def test_queries_name_the_account_region_and_dimensions() -> None:
    text = datadog_query(QUERIES[1], "222222222222", "eu-west-1", 60)
    assert text == (
        "avg:aws.ecs.service.cpuutilization{aws_account:222222222222,"
        "region:eu-west-1,clustername:dd-metrics,servicename:api}.rollup(avg, 60)"
    )
    assert "targetgroup:targetgroup/dev-api/0123456789abcdef" in datadog_query(
        QUERIES[4], "222222222222", "eu-west-1", 60
    )


def test_against_the_sandbox_both_sources_agree(sandbox: Any) -> None:
    """The simulator's utilization, read through the sandbox's AWS and its Datadog."""
    from opskit.workspace import open_workspace

    ws = open_workspace(ROOT / "environments.toml")
    queries = [
        MetricQuery("cluster", CPU, cluster="api"),
        MetricQuery("service", MEMORY, cluster="app", service="app-web"),
    ]
    end = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    start = end - dt.timedelta(minutes=30)
    from_datadog = DatadogSource(ws.config).fetch("prod", "eu-west-1", queries, start, end)
    from_cloudwatch = CloudWatchSource(ws.accounts).fetch("prod", "eu-west-1", queries, start, end)
    assert from_datadog["cluster"].values  # the sandbox seeds history
    for key, cloud in from_cloudwatch.items():
        assert from_datadog[key].timestamps == tuple(cloud.timestamps)
        assert from_datadog[key].values == pytest.approx(cloud.values)
