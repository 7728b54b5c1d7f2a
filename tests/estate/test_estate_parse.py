"""AWS shapes -> model (pure): tasks, task definitions without values, DNS links, metrics."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from opskit.estate import parse
from opskit.estate.metrics import CloudWatchSource, MetricQuery
from opskit.estate.model import StopKind, image_tag, to_data

TASK = {
    "taskArn": "arn:aws:ecs:eu-west-1:444444444444:task/api/0123456789abcdef",
    "taskDefinitionArn": "arn:aws:ecs:eu-west-1:444444444444:task-definition/integrations:7",
    "group": "service:integrations",
    "lastStatus": "STOPPED",
    "desiredStatus": "STOPPED",
    "healthStatus": "UNHEALTHY",
    "startedAt": dt.datetime(2026, 1, 1, 11, 0, tzinfo=dt.UTC),
    "stoppedAt": "2026-01-01T11:05:00Z",
    "stopCode": "EssentialContainerExited",
    "stoppedReason": "Essential container in task exited",
    "containerInstanceArn": "arn:aws:ecs:eu-west-1:444444444444:container-instance/app/ci-1",
    "containers": [
        {
            "name": "integrations",
            "image": "ghcr.io/acme/integrations:0.19.4",
            "lastStatus": "STOPPED",
            "exitCode": 137,
            "reason": "OutOfMemoryError: Container killed due to memory usage",
        }
    ],
}


def test_stopped_task_is_classified_and_joined_to_its_service() -> None:
    task = parse.task(TASK)
    assert (task.id, task.service, task.task_definition) == (
        "0123456789abcdef",
        "integrations",
        "integrations:7",
    )
    assert task.stop_kind is StopKind.oom
    assert task.containers[0].exit_code == 137 and task.containers[0].tag == "0.19.4"
    assert task.stopped_at == dt.datetime(2026, 1, 1, 11, 5, tzinfo=dt.UTC)
    assert task.container_instance == "ci-1"
    container = {**TASK["containers"][0], "lastStatus": "RUNNING", "exitCode": 0}  # type: ignore[index]
    sidecar = {"name": "init", "image": "busybox", "lastStatus": "STOPPED", "exitCode": 0}
    running = parse.task(
        {**TASK, "lastStatus": "RUNNING", "desiredStatus": "RUNNING",
         "containers": [container, sidecar]}
    )  # fmt: skip
    assert running.stop_kind is StopKind.none
    assert [c.exit_code for c in running.containers] == [None, 0]


def test_task_definition_keeps_names_of_variables_and_secrets_never_values() -> None:
    raw = {
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:1:task-definition/api:3",
        "family": "api",
        "revision": 3,
        "containerDefinitions": [
            {
                "name": "api",
                "image": "ghcr.io/acme/api:1.42.0",
                "portMappings": [{"containerPort": 8080}],
                "environment": [
                    {"name": "LOG_LEVEL", "value": "info"},
                    {"name": "DATABASE_PASSWORD", "value": "canary-7f3a-SECRET"},
                ],
                "secrets": [{"name": "STRIPE_KEY", "valueFrom": "arn:aws:ssm:...:stripe"}],
                "healthCheck": {"command": ["CMD-SHELL", "curl -f localhost:8080/healthz"]},
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/api", "awslogs-stream-prefix": "ecs"},
                },
            }
        ],
    }
    definition = parse.task_definition(raw)
    container = definition.containers[0]
    assert container.env_names == ("DATABASE_PASSWORD", "LOG_LEVEL")
    assert container.secret_names == ("STRIPE_KEY",)
    assert container.ports == (8080,) and container.tag == "1.42.0"
    assert (container.log_group, container.log_stream_prefix) == ("/ecs/api", "ecs")
    dumped = json.dumps(to_data(definition))
    assert "canary-7f3a-SECRET" not in dumped and "info" not in dumped


def test_dns_record_points_at_a_balancer_loosely() -> None:
    record = parse.dns_record(
        {
            "Name": "api.prod.acme.internal.",
            "Type": "A",
            "SetIdentifier": "new",
            "Weight": 20,
            "AliasTarget": {"DNSName": "dualstack.Prod-API-123.eu-west-1.elb.amazonaws.com."},
        },
        "prod.acme.internal.",
        {"prod-api-123.eu-west-1.elb.amazonaws.com": "prod-api"},
    )
    assert record.name == "api.prod.acme.internal" and record.zone == "prod.acme.internal"
    assert (record.load_balancer, record.set_identifier, record.weight) == ("prod-api", "new", 20)


def test_image_tags() -> None:
    assert image_tag("ghcr.io/acme/api:1.42.0") == "1.42.0"
    assert image_tag("localhost:5000/acme/api") == "latest"
    assert image_tag("acme/api@sha256:abc") == "sha256:abc"


class _NoClients:
    def client(self, *args: object, **kwargs: object) -> object:
        raise AssertionError("not called")


def test_cloudwatch_queries_use_the_dimension_sets_cloudwatch_has() -> None:
    source = CloudWatchSource(_NoClients(), period=60)
    host = source._cloudwatch(
        "q0", MetricQuery("k", "cpu", cluster="api", instance="i-1", container_instance="ci-1")
    )
    dims = {d["Name"]: d["Value"] for d in host["MetricStat"]["Metric"]["Dimensions"]}
    assert dims == {"ClusterName": "api", "ContainerInstanceId": "ci-1", "EC2InstanceId": "i-1"}
    assert host["MetricStat"]["Metric"]["Namespace"] == "ECS/ContainerInsights"
    group = source._cloudwatch(
        "q1",
        MetricQuery(
            "g", "unhealthy",
            target_group="arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/prod-api/73e2",
            load_balancer="arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/prod-api/50dc",
        ),
    )  # fmt: skip
    dims = {d["Name"]: d["Value"] for d in group["MetricStat"]["Metric"]["Dimensions"]}
    assert dims == {"TargetGroup": "targetgroup/prod-api/73e2", "LoadBalancer": "app/prod-api/50dc"}
    assert group["MetricStat"]["Stat"] == "Maximum"


def test_model_is_frozen_and_serialises() -> None:
    task = parse.task(TASK)
    try:
        task.id = "x"  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("TaskState must be immutable")
    data = to_data(task)
    assert data["stop_kind"] == "oom" and data["started_at"].startswith("2026-01-01T11:00")


def test_fast_timestamp_parser_agrees_with_botocore() -> None:
    from botocore.utils import parse_timestamp as botocore_parse

    from opskit.aws.timestamps import parse_timestamp

    for value in (1700000000, 1700000000.123, "1700000000", "2026-01-01T12:00:00Z",
                  "Thu, 01 Jan 2026 12:00:00 GMT", "2026-01-01T12:00:00.5+02:00"):  # fmt: skip
        parsed = parse_timestamp(value)  # numbers too, as botocore gives
        expected = botocore_parse(value)  # type: ignore[arg-type]  # its stub says str only
        assert parsed == expected and parsed.tzinfo is not None
