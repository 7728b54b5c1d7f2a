"""Read gateway over an ECS client: listing with full pages, describing in full batches.

Every list call asks for AWS's maximum page size (ListServices defaults to 10 if you don't
ask) and follows every page; every describe call sends as many names as AWS accepts
(DescribeClusters 100, DescribeServices 10, DescribeTasks and DescribeContainerInstances 100).
Callers get the plain AWS shapes; failures become one-line ``OpskitError``s via ``translate``.
The ``*_batches`` helpers only split work, so callers can run the batches concurrently.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from opskit.aws.errors import translate

PAGE = 100  # ListClusters, ListServices, ListTasks, ListContainerInstances
CLUSTERS_PER_CALL = 100
SERVICES_PER_CALL = 10
TASKS_PER_CALL = 100
INSTANCES_PER_CALL = 100

AwsDict = dict[str, Any]


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class EcsReader:
    """Describe/List calls on one ECS client (one account and region)."""

    def __init__(self, client: Any, where: str) -> None:
        self.client = client
        self.where = where

    def _pages(self, operation: str, key: str, **params: Any) -> list[str]:
        try:
            paginator = self.client.get_paginator(operation)
            out: list[str] = []
            for page in paginator.paginate(**params, PaginationConfig={"PageSize": PAGE}):
                out.extend(page.get(key, []))
            return out
        except Exception as error:
            raise translate(error, f"{self.where}: ECS {_title(operation)}") from None

    def list_clusters(self) -> list[str]:
        return self._pages("list_clusters", "clusterArns")

    def list_services(self, cluster: str) -> list[str]:
        return self._pages("list_services", "serviceArns", cluster=cluster)

    def list_tasks(
        self, cluster: str, *, service: str | None = None, desired_status: str = "RUNNING"
    ) -> list[str]:
        """Task ARNs of a cluster (or one service) with that desired status."""
        params: dict[str, Any] = {"cluster": cluster, "desiredStatus": desired_status}
        if service:
            params["serviceName"] = service
        return self._pages("list_tasks", "taskArns", **params)

    def list_container_instances(self, cluster: str) -> list[str]:
        return self._pages("list_container_instances", "containerInstanceArns", cluster=cluster)

    def describe_clusters(self, clusters: Sequence[str]) -> list[AwsDict]:
        """At most 100 clusters."""
        answer = self._call(
            "describe_clusters", clusters=list(clusters), include=["STATISTICS", "TAGS"]
        )
        return list(answer.get("clusters", []))

    def describe_services(self, cluster: str, services: Sequence[str]) -> list[AwsDict]:
        """At most 10 services of one cluster."""
        answer = self._call("describe_services", cluster=cluster, services=list(services))
        return list(answer.get("services", []))

    def describe_tasks(self, cluster: str, tasks: Sequence[str]) -> list[AwsDict]:
        """At most 100 tasks of one cluster."""
        answer = self._call("describe_tasks", cluster=cluster, tasks=list(tasks))
        return list(answer.get("tasks", []))

    def describe_container_instances(self, cluster: str, arns: Sequence[str]) -> list[AwsDict]:
        """At most 100 container instances of one cluster."""
        answer = self._call(
            "describe_container_instances", cluster=cluster, containerInstances=list(arns)
        )
        return list(answer.get("containerInstances", []))

    def describe_task_definition(self, task_definition: str) -> AwsDict:
        answer = self._call("describe_task_definition", taskDefinition=task_definition)
        return dict(answer["taskDefinition"])

    def _call(self, operation: str, **params: Any) -> AwsDict:
        try:
            return dict(getattr(self.client, operation)(**params))
        except Exception as error:
            raise translate(error, f"{self.where}: ECS {_title(operation)}") from None


def _title(operation: str) -> str:
    return "".join(part.title() for part in operation.split("_"))
