"""The sandbox's shapes beyond one container per service, and the moto gaps they needed
fixed, as any AWS client sees them (boto3 over HTTP): a sidecar, a service behind its
family, a standalone task, a scheduled rule and schedule; every container of a task;
DescribeTaskDefinition of a bare family answering its latest ACTIVE revision.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

ENVS = ("dev", "stage", "prod")


def tasks_of(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    arns = [
        arn
        for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster)
        for arn in page["taskArns"]
    ]
    return ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"] if arns else []


def register(ecs: Any, family: str, *names: str) -> str:
    containers = [
        {"name": n, "image": f"ghcr.io/acme/{n}:1.0.{i}", "memory": 128, "essential": i == 0}
        for i, n in enumerate(names)
    ]
    answer = ecs.register_task_definition(family=family, containerDefinitions=containers)
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def drop_family(ecs: Any, family: str) -> None:
    for arn in ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]:
        ecs.deregister_task_definition(taskDefinition=arn)


def test_a_task_carries_every_container_of_its_definition(alice: Any) -> None:
    ecs = alice.client("ecs", env="dev", access="admin")
    family = f"twin-{uuid.uuid4().hex[:6]}"
    arn = register(ecs, family, "main", "envoy")
    try:
        (task,) = ecs.run_task(cluster="cdn", taskDefinition=arn, launchType="EC2")["tasks"]
        described = ecs.describe_tasks(cluster="cdn", tasks=[task["taskArn"]])["tasks"][0]
        got = [(c["name"], c["image"]) for c in described["containers"]]
        assert got == [("main", "ghcr.io/acme/main:1.0.0"), ("envoy", "ghcr.io/acme/envoy:1.0.1")]
        ecs.stop_task(cluster="cdn", task=task["taskArn"], reason="test over")
    finally:
        drop_family(ecs, family)


def test_a_bare_family_describes_its_latest_active_revision(alice: Any) -> None:
    ecs = alice.client("ecs", env="dev", access="admin")
    family = f"fam-{uuid.uuid4().hex[:6]}"
    first = register(ecs, family, "main")
    second = register(ecs, family, "main")
    try:
        assert (
            ecs.describe_task_definition(taskDefinition=family)["taskDefinition"][
                "taskDefinitionArn"
            ]
            == second
        )
        ecs.deregister_task_definition(taskDefinition=second)
        answer = ecs.describe_task_definition(taskDefinition=family)["taskDefinition"]
        assert (answer["taskDefinitionArn"], answer["status"]) == (first, "ACTIVE")
        ecs.deregister_task_definition(taskDefinition=first)
        with pytest.raises(ClientError) as caught:
            ecs.describe_task_definition(taskDefinition=family)
        assert caught.value.response["Error"]["Code"] == "ClientException"
        # a named revision is still described, deregistered or not (as AWS does)
        named = ecs.describe_task_definition(taskDefinition=f"{family}:2")["taskDefinition"]
        assert named["status"] == "INACTIVE"
    finally:
        drop_family(ecs, family)


@pytest.mark.parametrize("env", ENVS)
def test_the_seeded_shapes(alice: Any, env: str) -> None:
    ecs = alice.client("ecs", env=env)
    web = ecs.describe_services(cluster="app", services=["app-web"])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=web["taskDefinition"])
    names = [c["name"] for c in definition["taskDefinition"]["containerDefinitions"]]
    assert names == ["app-web", "datadog-agent"]
    tasks = tasks_of(ecs, "app")
    running_web = [
        t for t in tasks if t["group"] == "service:app-web" and t["lastStatus"] == "RUNNING"
    ]
    assert running_web and all([c["name"] for c in t["containers"]] == names for t in running_web)
    (backfill,) = [t for t in tasks if t["group"] == "family:backfill"]
    assert (backfill["startedBy"], backfill["lastStatus"], backfill["desiredStatus"]) == (
        "ops/backfill",
        "RUNNING",
        "RUNNING",
    )  # fmt: skip  (the simulator leaves a task no service owns alone)
    billing = ecs.describe_services(cluster="app", services=["billing"])["services"][0]
    latest = ecs.describe_task_definition(taskDefinition="billing")["taskDefinition"]
    behind = (billing["taskDefinition"].rsplit(":", 1)[1], latest["revision"])
    if env == "stage":  # the seeded half-finished release (other tests change dev's billing)
        assert behind == ("1", 2)
    events = alice.client("events", env=env)
    (target,) = events.list_targets_by_rule(Rule="nightly-report")["Targets"]
    rule = events.describe_rule(Name="nightly-report")
    assert rule["ScheduleExpression"] == "rate(1 hour)"
    assert target["Arn"].endswith(":cluster/app") and target["EcsParameters"]["TaskCount"] == 1
    schedule = alice.client("scheduler", env=env).get_schedule(Name="cleanup")
    assert schedule["Target"]["Arn"].endswith(":cluster/api")
    assert schedule["Target"]["EcsParameters"]["TaskDefinitionArn"].endswith("cleanup:1")


def test_a_task_the_simulator_starts_has_every_container_and_its_sidecar_logs(
    alice: Any,
) -> None:
    """A forced new deployment of app-web in dev: its new task carries the sidecar, and the
    sidecar writes to its own stream ``ecs/datadog-agent/<task id>``."""
    ecs = alice.client("ecs", env="dev", access="deploy")
    logs = alice.client("logs", env="dev")
    before = {t["taskArn"] for t in tasks_of(ecs, "app") if t["group"] == "service:app-web"}
    ecs.update_service(cluster="app", service="app-web", forceNewDeployment=True)
    deadline = time.monotonic() + 120
    fresh: list[dict[str, Any]] = []
    while not fresh and time.monotonic() < deadline:
        time.sleep(0.5)
        fresh = [
            t for t in tasks_of(ecs, "app")
            if t["group"] == "service:app-web" and t["taskArn"] not in before
            and t["lastStatus"] == "RUNNING"
        ]  # fmt: skip
    assert fresh, "no new app-web task started"
    task = fresh[0]
    assert [c["name"] for c in task["containers"]] == ["app-web", "datadog-agent"]
    assert all(c["lastStatus"] == "RUNNING" for c in task["containers"])
    stream = f"ecs/datadog-agent/{task['taskArn'].rsplit('/', 1)[-1]}"
    events = logs.get_log_events(logGroupName="/ecs/app-web", logStreamName=stream)["events"]
    assert events and "datadog-agent starting" in events[0]["message"]
    while time.monotonic() < deadline:  # leave the service settled for the tests after
        service = ecs.describe_services(cluster="app", services=["app-web"])["services"][0]
        if len(service["deployments"]) == 1 and service["runningCount"] == service["desiredCount"]:
            break
        time.sleep(0.5)
