"""The sandbox publishes Container Insights (enhanced observability) per task and container
as AWS documents them, read back with boto3 over HTTP, independent of opskit.

AWS: namespace ``ECS/ContainerInsights``; ``ContainerCpuUtilized`` / ``ContainerCpuReserved``
(unit None: CPU units), ``ContainerMemoryUtilized`` / ``ContainerMemoryReserved`` (Megabytes),
``ContainerMemoryUtilization`` (Percent), dims {ClusterName, ServiceName, TaskId,
ContainerName} and {ClusterName, TaskDefinitionFamily, TaskId, ContainerName}; task-level
``CpuUtilized`` … with TaskId; only for clusters whose ``containerInsights`` is ``enhanced``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

NAMESPACE = "ECS/ContainerInsights"
CONTAINER_METRICS = {
    "ContainerCpuUtilized": "None",
    "ContainerCpuReserved": "None",
    "ContainerMemoryUtilized": "Megabytes",
    "ContainerMemoryReserved": "Megabytes",
    "ContainerMemoryUtilization": "Percent",
}
TASK_METRICS = ("CpuUtilized", "CpuReserved", "MemoryUtilized", "MemoryReserved")


def insights(ecs: Any, cluster: str) -> str:
    found = ecs.describe_clusters(clusters=[cluster], include=["SETTINGS"])["clusters"][0]
    values = [s["value"] for s in found.get("settings", []) if s["name"] == "containerInsights"]
    return values[0] if values else "disabled"


def running_tasks(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    arns = ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []
    return [t for t in tasks if t["lastStatus"] == "RUNNING"]


def listed(cloudwatch: Any, metric: str, dims: list[dict[str, str]]) -> list[dict[str, str]]:
    pages = cloudwatch.get_paginator("list_metrics").paginate(
        Namespace=NAMESPACE, MetricName=metric, Dimensions=dims
    )
    return [
        {d["Name"]: d["Value"] for d in m["Dimensions"]} for page in pages for m in page["Metrics"]
    ]


def latest(cloudwatch: Any, metric: str, dims: dict[str, str]) -> float | None:
    now = dt.datetime.now(dt.UTC)
    answer = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=now - dt.timedelta(minutes=10),
        EndTime=now + dt.timedelta(minutes=1),
        Period=60,
        Statistics=["Average"],
    )["Datapoints"]
    points = sorted(answer, key=lambda p: p["Timestamp"])
    return float(points[-1]["Average"]) if points else None


def test_app_web_containers_sidecar_included_with_documented_names_and_units(alice: Any) -> None:
    ecs = alice.client("ecs", env="prod")
    cloudwatch = alice.client("cloudwatch", env="prod")
    assert insights(ecs, "app") == "enhanced"
    tasks = [t for t in running_tasks(ecs, "app") if t["group"] == "service:app-web"]
    assert tasks
    definition = ecs.describe_task_definition(taskDefinition=tasks[0]["taskDefinitionArn"])
    sizes = {c["name"]: c for c in definition["taskDefinition"]["containerDefinitions"]}
    assert "datadog-agent" in sizes and "app-web" in sizes
    for task in tasks:
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        family = task["taskDefinitionArn"].rsplit("/", 1)[-1].rsplit(":", 1)[0]
        for container in task["containers"]:
            name = container["name"]
            for owner in ({"ServiceName": "app-web"}, {"TaskDefinitionFamily": family}):
                dims = {"ClusterName": "app", **owner, "TaskId": task_id, "ContainerName": name}
                figures = {m: latest(cloudwatch, m, dims) for m in CONTAINER_METRICS}
                assert all(v is not None for v in figures.values()), (dims, figures)
                assert figures["ContainerCpuReserved"] == sizes[name]["cpu"]
                assert figures["ContainerMemoryReserved"] == sizes[name]["memory"]
                used, reserved = figures["ContainerMemoryUtilized"], sizes[name]["memory"]
                assert 0 < used < reserved  # type: ignore[operator]
                assert figures["ContainerMemoryUtilization"] == pytest.approx(
                    100 * used / reserved,  # type: ignore[operator]
                    abs=0.01,
                )
                assert 0 < figures["ContainerCpuUtilized"] < sizes[name]["cpu"]  # type: ignore[operator]
        stats = {
            c["name"]: latest(
                cloudwatch,
                "ContainerMemoryUtilized",
                {"ClusterName": "app", "ServiceName": "app-web", "TaskId": task_id,
                 "ContainerName": c["name"]},
            )
            for c in task["containers"]
        }  # fmt: skip
        assert stats["datadog-agent"] < stats["app-web"]  # type: ignore[operator]  # sidecar small
        task_dims = {"ClusterName": "app", "ServiceName": "app-web", "TaskId": task_id}
        assert all(latest(cloudwatch, m, task_dims) is not None for m in TASK_METRICS)
        assert latest(cloudwatch, "CpuReserved", task_dims) == float(task["cpu"])  # its size
        assert latest(cloudwatch, "MemoryReserved", task_dims) == float(task["memory"])
    # units as the metrics were published (ListMetrics names them; GetMetricStatistics says)
    units = {
        m: alice.client("cloudwatch", env="prod").get_metric_statistics(
            Namespace=NAMESPACE, MetricName=m,
            Dimensions=[{"Name": "ClusterName", "Value": "app"},
                        {"Name": "ServiceName", "Value": "app-web"},
                        {"Name": "TaskId", "Value": tasks[0]["taskArn"].rsplit("/", 1)[-1]},
                        {"Name": "ContainerName", "Value": "app-web"}],
            StartTime=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10),
            EndTime=dt.datetime.now(dt.UTC), Period=60, Statistics=["Average"],
        )["Datapoints"][-1]["Unit"]
        for m in CONTAINER_METRICS
    }  # fmt: skip
    assert units == CONTAINER_METRICS


def test_standalone_task_has_family_dimensions_only(alice: Any) -> None:
    ecs = alice.client("ecs", env="dev")
    cloudwatch = alice.client("cloudwatch", env="dev")
    (backfill,) = [t for t in running_tasks(ecs, "app") if t["group"] == "family:backfill"]
    task_id = backfill["taskArn"].rsplit("/", 1)[-1]
    by_family = listed(cloudwatch, "ContainerCpuUtilized", [{"Name": "TaskId", "Value": task_id}])
    assert by_family == [
        {"ClusterName": "app", "TaskDefinitionFamily": "backfill", "TaskId": task_id,
         "ContainerName": "backfill"}
    ]  # fmt: skip  # no service owns it: no ServiceName set


def test_a_cluster_with_container_insights_off_publishes_none(alice: Any) -> None:
    ecs = alice.client("ecs", env="stage", region="us-east-1")
    cloudwatch = alice.client("cloudwatch", env="stage", region="us-east-1")
    assert insights(ecs, "edge") == "disabled"
    assert running_tasks(ecs, "edge")  # tasks run there, yet no per-container metrics
    assert (
        listed(cloudwatch, "ContainerCpuUtilized", [{"Name": "ClusterName", "Value": "edge"}]) == []
    )
    assert listed(cloudwatch, "CpuUtilized", [{"Name": "ClusterName", "Value": "edge"}]) == []


def test_crash_looping_containers_climb_toward_their_memory_limit(alice: Any) -> None:
    ecs = alice.client("ecs", env="prod")
    cloudwatch = alice.client("cloudwatch", env="prod")
    tasks = [t for t in running_tasks(ecs, "app") if t["group"] == "service:integrations"]
    assert tasks, "the crash loop always has a task up or starting"
    for task in tasks:
        task_id = task["taskArn"].rsplit("/", 1)[-1]
        dims = {"ClusterName": "app", "ServiceName": "integrations", "TaskId": task_id,
                "ContainerName": "integrations"}  # fmt: skip
        share = latest(cloudwatch, "ContainerMemoryUtilization", dims)
        assert share is None or share >= 45  # leaking from the start; None: not a minute old


def test_cluster_settings_come_only_when_asked_for(alice: Any) -> None:
    ecs = alice.client("ecs", env="dev")
    plain = ecs.describe_clusters(clusters=["api"])["clusters"][0]
    assert "settings" not in plain  # AWS: only with include=SETTINGS
    asked = ecs.describe_clusters(clusters=["api"], include=["SETTINGS", "TAGS"])["clusters"][0]
    assert asked["settings"] == [{"name": "containerInsights", "value": "enhanced"}]
    assert asked["tags"]


def test_update_cluster_settings_sets_container_insights(alice: Any) -> None:
    ecs = alice.client("ecs", env="dev", access="admin")
    try:
        answer = ecs.update_cluster_settings(
            cluster="cdn", settings=[{"name": "containerInsights", "value": "enabled"}]
        )["cluster"]
        assert answer["clusterName"] == "cdn"
        assert answer["settings"] == [{"name": "containerInsights", "value": "enabled"}]
        assert insights(ecs, "cdn") == "enabled"
        with pytest.raises(ecs.exceptions.InvalidParameterException):
            ecs.update_cluster_settings(
                cluster="cdn", settings=[{"name": "containerInsights", "value": "on"}]
            )
        with pytest.raises(ecs.exceptions.ClusterNotFoundException):
            ecs.update_cluster_settings(
                cluster="nope", settings=[{"name": "containerInsights", "value": "enabled"}]
            )
    finally:
        ecs.update_cluster_settings(
            cluster="cdn", settings=[{"name": "containerInsights", "value": "enhanced"}]
        )
    assert insights(ecs, "cdn") == "enhanced"
    reader = alice.client("ecs", env="dev")  # a read role may not change settings
    with pytest.raises(reader.exceptions.ClientError) as denied:
        reader.update_cluster_settings(
            cluster="cdn", settings=[{"name": "containerInsights", "value": "disabled"}]
        )
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"


def test_service_level_sets_hold_one_datapoint_per_task(alice: Any) -> None:
    """Without TaskId (ServiceName + ContainerName), a minute holds each task's figure:
    its Sum is the sum of the per-task series, its SampleCount the number of tasks."""
    cloudwatch = alice.client("cloudwatch", env="prod")
    wanted = [
        {"Name": "ClusterName", "Value": "app"},
        {"Name": "ServiceName", "Value": "app-web"},
        {"Name": "ContainerName", "Value": "datadog-agent"},
    ]
    now = dt.datetime.now(dt.UTC)
    this_minute = now.replace(second=0, microsecond=0)

    def minutes(dims: list[dict[str, str]]) -> dict[dt.datetime, dict[str, float]]:
        points = cloudwatch.get_metric_statistics(
            Namespace=NAMESPACE, MetricName="ContainerMemoryUtilized", Dimensions=dims,
            StartTime=now - dt.timedelta(minutes=10), EndTime=this_minute, Period=60,
            Statistics=["Sum", "SampleCount"],
        )["Datapoints"]  # fmt: skip
        return {p["Timestamp"]: p for p in points}

    whole = minutes(wanted)
    assert whole, "the service-level set has datapoints"
    minute = max(whole)
    per_task = [
        found[minute]
        for dims in listed(cloudwatch, "ContainerMemoryUtilized", wanted)
        if "TaskId" in dims
        for found in [minutes([{"Name": k, "Value": v} for k, v in dims.items()])]
        if minute in found
    ]
    assert len(per_task) >= 2
    assert whole[minute]["SampleCount"] == len(per_task)
    assert whole[minute]["Sum"] == pytest.approx(sum(p["Sum"] for p in per_task), abs=0.01)


def test_trim_keeps_half_an_hour_of_task_series_and_leaves_hosts_alone() -> None:
    from sandbox.seed import container_metrics as insights_module
    from sandbox.seed.cloudwatch import MetricStore

    store = MetricStore()
    live = (("ClusterName", "app"), ("TaskId", "live"))
    gone = (("ClusterName", "app"), ("TaskId", "gone"))
    host = (("ClusterName", "app"), ("ContainerInstanceId", "c1"), ("EC2InstanceId", "i-1"))
    store.put(NAMESPACE, "CpuUtilized", live, 0.0, 1.0)
    store.put(NAMESPACE, "CpuUtilized", live, 2000.0, 2.0)
    store.put(NAMESPACE, "CpuUtilized", gone, 0.0, 3.0)
    store.put(NAMESPACE, "instance_cpu_utilization", host, 0.0, 4.0)
    assert insights_module.trim(store, now=2100.0) == 1
    kept = store.get(NAMESPACE, "CpuUtilized", live)
    assert kept is not None and list(kept.values) == [2.0]
    assert store.get(NAMESPACE, "CpuUtilized", gone) is None
    assert store.get(NAMESPACE, "instance_cpu_utilization", host) is not None
