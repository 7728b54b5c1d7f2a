"""Pure logic of issue 12's shapes: standalone tasks split from a cluster-wide listing by
``group``, revisions behind, schedule targets. AWS shapes written by hand (as the API
documents them), no calls."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from opskit.config import load_config
from opskit.estate.assemble import assemble
from opskit.estate.model import ScheduledTask, ServiceState
from opskit.estate.raw_region import RawRegion
from opskit.estate.schedules import by_cluster, cluster_of

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"
ARN = "arn:aws:ecs:eu-west-1:222222222222"


def task(task_id: str, group: str, started_by: str) -> dict[str, Any]:
    return {
        "taskArn": f"{ARN}:task/app/{task_id}",
        "taskDefinitionArn": f"{ARN}:task-definition/{group.split(':')[1]}:3",
        "group": group,
        "startedBy": started_by,
        "lastStatus": "RUNNING",
        "desiredStatus": "RUNNING",
        "containers": [
            {"name": "main", "image": "ghcr.io/acme/main:1.0.0", "lastStatus": "RUNNING"},
            {"name": "envoy", "image": "envoyproxy/envoy:v1.30", "lastStatus": "RUNNING"},
        ],
    }


def raw_region(schedules: list[ScheduledTask] | None) -> RawRegion:
    raw = RawRegion("dev", "eu-west-1")
    cluster = f"{ARN}:cluster/app"
    raw.clusters = [{"clusterArn": cluster, "clusterName": "app", "status": "ACTIVE"}]
    raw.services[cluster] = [
        {
            "serviceName": "web",
            "serviceArn": f"{ARN}:service/app/web",
            "desiredCount": 1,
            "runningCount": 1,
            "taskDefinition": f"{ARN}:task-definition/web:4",
            "deployments": [
                {"status": "PRIMARY", "taskDefinition": f"{ARN}:task-definition/web:4"}
            ],
        }
    ]
    raw.tasks[cluster] = [
        task("t1", "service:web", "ecs-svc/1"),
        task("t3", "family:report", "events-rule/nightly"),
        task("t2", "family:batch", "ops/batch"),
        task("t4", "family:batch", "ops/batch"),
    ]
    raw.latest = {"web": 5}
    raw.schedules = schedules
    return raw


def test_one_listing_split_by_group() -> None:
    config = load_config(CONFIG)
    rule = ScheduledTask("rule", "nightly", "rate(1 hour)", "ENABLED", "app", "report:2")
    (cluster,) = assemble(raw_region([rule]), config, dt.datetime.now(dt.UTC)).clusters
    (web,) = cluster.services
    assert [t.id for t in web.tasks] == ["t1"] and web.running == 1
    assert [(t.started_by, t.group, t.id) for t in cluster.tasks] == [
        ("events-rule/nightly", "family:report", "t3"),
        ("ops/batch", "family:batch", "t2"),
        ("ops/batch", "family:batch", "t4"),
    ]
    assert all(t.standalone and len(t.containers) == 2 for t in cluster.tasks)
    assert (cluster.standalone_running, cluster.running_tasks) == (3, 4)
    assert web.images == ("ghcr.io/acme/main:1.0.0", "envoyproxy/envoy:v1.30")
    assert (web.revision, web.latest_revision, web.behind) == (4, 5, 1)
    assert web.revision_text == "running :4, latest :5"
    assert cluster.schedules == (rule,)
    (unknown,) = assemble(raw_region(None), config, dt.datetime.now(dt.UTC)).clusters
    assert unknown.schedules is None  # a failed read is unknown, not "none"


def test_revision_text_when_up_to_date_or_unknown() -> None:
    base = ServiceState("web", "arn", "app", "ACTIVE", 1, 1, 0, "web:4")
    assert (base.behind, base.revision_text) == (0, "running :4, latest ?")
    latest = ServiceState("web", "arn", "app", "ACTIVE", 1, 1, 0, "web:4", latest_revision=4)
    assert (latest.behind, latest.revision_text) == (0, "running :4 (latest)")


def test_schedule_targets_are_clusters_only() -> None:
    assert cluster_of(f"{ARN}:cluster/app") == "app"
    assert cluster_of("arn:aws:lambda:eu-west-1:222222222222:function:app") == ""
    assert cluster_of("arn:aws:sqs:eu-west-1:222222222222:queue/cluster/x") == ""
    items = [
        ScheduledTask("schedule", "default/b", "", "ENABLED", "api", "b:1"),
        ScheduledTask("rule", "a", "", "ENABLED", "api", "a:1"),
    ]
    assert [i.name for i in by_cluster(items)["api"]] == ["a", "default/b"]
