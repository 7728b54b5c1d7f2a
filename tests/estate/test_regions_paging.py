"""Addresses at AWS's sizes: a second region holding a cluster of 250 services, one with 150
tasks, found by name, shown, planned and its tasks found by id prefix, through the sandbox's
AWS rules (ListServices 100 a page, DescribeServices 10 a call, ListTasks and DescribeTasks
100).

Built with boto3 over HTTP in dev's account in a region no environment is configured with;
opskit reads it through a copy of the config whose dev spans its own region and that one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from opskit.address import locate_task
from opskit.changes import Engine
from opskit.changes.service_changes import ScaleChange
from opskit.estate.collect import Estate
from opskit.workspace import Workspace

REGION = "ap-southeast-2"
CLUSTER = "paging-regions"
SERVICES = 250
TASKS = 150
BUSY = f"svc-{SERVICES - 1:03d}"  # the last one listed: on the third ListServices page

pytestmark = pytest.mark.slow


def _client(alice: Any, service: str) -> Any:
    return alice.client(service, env="dev", access="admin", region=REGION)


@pytest.fixture(scope="module")
def big(alice: Any) -> list[str]:
    """The cluster, its 250 services, and the ids of BUSY's 150 tasks (read back by boto3)."""
    ecs, ec2 = _client(alice, "ecs"), _client(alice, "ec2")
    ecs.create_cluster(clusterName=CLUSTER)
    image = ec2.describe_images()["Images"][0]["ImageId"]
    host = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.24xlarge")
    document = {"instanceId": host["Instances"][0]["InstanceId"], "instanceType": "m5.24xlarge",
                "region": REGION, "availabilityZone": f"{REGION}a", "accountId": "222222222222",
                "imageId": image, "privateIp": "10.98.0.10"}  # fmt: skip
    ecs.register_container_instance(cluster=CLUSTER, instanceIdentityDocument=json.dumps(document))
    ecs.register_task_definition(
        family="probe-r",
        containerDefinitions=[{"name": "probe", "image": "ghcr.io/acme/probe:1.0.0",
                               "cpu": 1, "memory": 8}],
    )  # fmt: skip
    for i in range(SERVICES):
        ecs.create_service(
            cluster=CLUSTER, serviceName=f"svc-{i:03d}", taskDefinition="probe-r", desiredCount=0
        )
    for _ in range(TASKS // 10):  # RunTask starts at most 10 tasks a call
        ecs.run_task(cluster=CLUSTER, taskDefinition="probe-r", count=10, group=f"service:{BUSY}")
    ids = [
        arn.rsplit("/", 1)[-1]
        for page in ecs.get_paginator("list_tasks").paginate(cluster=CLUSTER)
        for arn in page["taskArns"]
    ]
    assert len(ids) == TASKS
    return ids


@pytest.fixture(scope="module")
def spanning(alice_workspace: Workspace) -> Workspace:
    from opskit.workspace import open_workspace

    config = alice_workspace.config
    dev = config.environments["dev"]
    dev = dev.model_copy(update={"regions": [*dev.regions, REGION]})
    return open_workspace(
        config=config.model_copy(update={"environments": {**config.environments, "dev": dev}}),
        user="alice",
    )


def test_a_service_on_the_last_page_of_another_region_is_found_and_shown(
    big: list[str], spanning: Workspace
) -> None:
    shown = Estate(spanning.accounts, utilization=False).service("dev", BUSY)
    assert shown.cluster == CLUSTER and f":{REGION}:" in shown.arn
    running = {t.id for t in shown.tasks if t.last_status == "RUNNING"}
    assert running == set(big)


def test_every_service_of_the_second_region_is_listed(big: list[str], spanning: Workspace) -> None:
    env = Estate(spanning.accounts, utilization=False).snapshot(["dev"]).env("dev")
    assert env is not None and env.ok, env.error if env else None
    cluster = env.cluster(CLUSTER)
    assert cluster is not None and cluster.region == REGION
    assert sorted(s.name for s in cluster.services) == [f"svc-{i:03d}" for i in range(SERVICES)]
    assert len({t.id for s in cluster.services for t in s.tasks}) == TASKS
    assert env.cluster("api") is not None  # the first region is still there


def test_a_task_prefix_among_150_is_resolved(big: list[str], spanning: Workspace) -> None:
    target = big[TASKS // 2]
    size = next(n for n in range(4, 40) if sum(1 for t in big if t.startswith(target[:n])) == 1)
    found = locate_task(
        spanning.config,
        lambda region: spanning.accounts.client("dev", "ecs", region=region),
        "dev",
        target[:size],
        f"{REGION}:{CLUSTER}",
    )
    assert (found.region, found.cluster, found.task) == (REGION, CLUSTER, target)


def test_scale_plans_a_service_on_the_last_page(big: list[str], spanning: Workspace) -> None:
    plan = Engine.from_workspace(spanning).plan(ScaleChange("dev", f"{CLUSTER}/{BUSY}", 2))
    (diff,) = plan.diffs
    assert diff.resource == f"dev/ecs/service/{REGION}:{CLUSTER}/{BUSY}"
    assert (diff.before, diff.after) == (0, 2)
    assert any("no bounds configured" in note for note in plan.notes)
