"""opskit's JSON parser (``opskit.accounts.fast_json``) gives what botocore's own gives, on real
answers from the sandbox over HTTP: DescribeServices (events, deployments), DescribeTasks
and DescribeClusters bodies, parsed both ways."""

from __future__ import annotations

from typing import Any

from botocore.parsers import JSONParser

from opskit.accounts.fast_json import FastJSONParser
from opskit.aws.timestamps import parse_timestamp


def answers(alice: Any) -> list[tuple[Any, dict[str, Any]]]:
    """(output shape, raw HTTP answer) of a few ECS reads."""
    ecs = alice.client("ecs", env="prod")
    seen: list[tuple[Any, dict[str, Any]]] = []

    def keep(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        seen.append((operation_model.output_shape, dict(response_dict)))

    ecs.meta.events.register("before-parse.ecs.*", keep)
    clusters = ecs.list_clusters()["clusterArns"]
    ecs.describe_clusters(clusters=clusters, include=["STATISTICS", "TAGS"])
    for cluster in clusters:
        services = ecs.list_services(cluster=cluster, maxResults=100)["serviceArns"]
        for start in range(0, len(services), 10):
            ecs.describe_services(cluster=cluster, services=services[start : start + 10])
        tasks = ecs.list_tasks(cluster=cluster, maxResults=100)["taskArns"]
        if tasks:
            ecs.describe_tasks(cluster=cluster, tasks=tasks)
    return seen


def test_the_fast_parser_gives_what_botocore_gives(alice: Any) -> None:
    seen = answers(alice)
    events = 0
    for shape, response in seen:
        mine = FastJSONParser(timestamp_parser=parse_timestamp).parse(response, shape)
        theirs = JSONParser(timestamp_parser=parse_timestamp).parse(response, shape)
        mine.pop("ResponseMetadata", None)
        theirs.pop("ResponseMetadata", None)
        assert mine == theirs
        events += sum(len(s.get("events", [])) for s in theirs.get("services", []))
    assert events > 0  # the fast path was exercised (lists of flat structures)
