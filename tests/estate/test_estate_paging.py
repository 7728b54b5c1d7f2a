"""Pagination: a cluster with 250 services and a service with 150 tasks are read completely.

Built with boto3 over HTTP in a region no environment is configured with (dev's account,
eu-central-1), so the shared estate other tests read is untouched; the estate reads it
through a copy of the config whose dev environment lives in that region.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from opskit.estate.collect import Estate
from opskit.workspace import Workspace

REGION = "eu-central-1"
SERVICES = 250
TASKS = 150


def _client(alice: Any, service: str) -> Any:
    return alice.client(service, env="dev", access="admin", region=REGION)


@pytest.fixture(scope="module")
def big_cluster(alice: Any) -> str:
    ecs, ec2 = _client(alice, "ecs"), _client(alice, "ec2")
    ecs.create_cluster(clusterName="paging")
    image = ec2.describe_images()["Images"][0]["ImageId"]
    host = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="m5.24xlarge")
    instance = host["Instances"][0]["InstanceId"]
    document = {"instanceId": instance, "instanceType": "m5.24xlarge", "region": REGION,
                "availabilityZone": f"{REGION}a", "accountId": "222222222222",
                "imageId": image, "privateIp": "10.99.0.10"}  # fmt: skip
    ecs.register_container_instance(cluster="paging", instanceIdentityDocument=json.dumps(document))
    ecs.register_task_definition(
        family="probe",
        containerDefinitions=[{"name": "probe", "image": "ghcr.io/acme/probe:1.0.0",
                               "cpu": 1, "memory": 8}],
    )  # fmt: skip
    for i in range(SERVICES):
        ecs.create_service(
            cluster="paging", serviceName=f"svc-{i:03d}", taskDefinition="probe", desiredCount=0
        )
    for _ in range(TASKS // 10):  # RunTask starts at most 10 tasks a call
        ecs.run_task(cluster="paging", taskDefinition="probe", count=10, group="service:svc-000")
    return "paging"


def test_every_service_and_task_is_listed(big_cluster: str, alice_workspace: Workspace) -> None:
    from opskit.workspace import open_workspace

    config = alice_workspace.config
    dev = config.environments["dev"].model_copy(update={"regions": [REGION]})
    elsewhere = config.model_copy(update={"environments": {"dev": dev}})
    estate = Estate(open_workspace(config=elsewhere, user="alice").accounts)
    snapshot = estate.snapshot(["dev"])
    env = snapshot.env("dev")
    assert env is not None and env.ok, snapshot.errors
    cluster = env.cluster(big_cluster)
    assert cluster is not None
    assert sorted(s.name for s in cluster.services) == [f"svc-{i:03d}" for i in range(SERVICES)]
    busy = cluster.service("svc-000")
    assert busy is not None and len(busy.tasks) == TASKS
    assert len({t.id for t in busy.tasks}) == TASKS
    assert env.calls["ecs.ListServices"] == 3  # 100 + 100 + 50
    assert env.calls["ecs.DescribeServices"] == SERVICES // 10
    assert env.calls["ecs.ListTasks"] == 2 and env.calls["ecs.DescribeTasks"] == 2
    assert env.calls["monitoring.GetMetricData"] == 2  # 504 queries: two calls of <= 500
