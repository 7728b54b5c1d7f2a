"""The ECS gateway: every ECS call of opskit, reads (estate) and writes (changes) alike.

Every list call asks for AWS's maximum page size (ListServices defaults to 10 if you don't
ask) and follows every page; every describe call sends as many names as AWS accepts
(DescribeClusters 100, DescribeServices 10, DescribeTasks and DescribeContainerInstances 100).
Callers get the plain AWS shapes; failures become one-line ``OpskitError``s via ``translate``.
``batches`` is the one chunker: ``EcsReader`` describes one batch per call (so the estate can
run batches concurrently); the module functions the change engine uses loop over them.
The module functions take a client and turn botocore failures into opskit errors too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from opskit.aws.errors import translate
from opskit.errors import UsageError

if TYPE_CHECKING:
    from types_boto3_ecs import ECSClient
    from types_boto3_ecs.type_defs import (
        ClusterTypeDef,
        ContainerInstanceTypeDef,
        DeploymentConfigurationTypeDef,
        ServiceTypeDef,
        TagTypeDef,
        TaskDefinitionTypeDef,
        TaskTypeDef,
    )

PAGE = 100  # ListClusters, ListServices, ListTasks, ListContainerInstances
CLUSTERS_PER_CALL = 100
SERVICES_PER_CALL = 10
TASKS_PER_CALL = 100
INSTANCES_PER_CALL = 100


def batches(items: Sequence[str], size: int) -> Iterator[list[str]]:
    """``items`` in consecutive lists of at most ``size``."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class EcsReader:
    """Describe/List calls on one ECS client (one account and region)."""

    def __init__(self, client: ECSClient, where: str) -> None:
        self.client = client
        self.where = where

    def _pages(self, operation: str, key: str, **params: Any) -> list[str]:
        try:
            client: Any = self.client  # operation named at run time
            paginator = client.get_paginator(operation)
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

    def describe_clusters(self, clusters: Sequence[str]) -> list[ClusterTypeDef]:
        """At most 100 clusters."""
        try:
            answer = self.client.describe_clusters(
                clusters=list(clusters), include=["STATISTICS", "TAGS"]
            )
        except Exception as error:
            raise translate(error, f"{self.where}: ECS DescribeClusters") from None
        return list(answer.get("clusters", []))

    def describe_services(self, cluster: str, services: Sequence[str]) -> list[ServiceTypeDef]:
        """At most 10 services of one cluster."""
        try:
            answer = self.client.describe_services(cluster=cluster, services=list(services))
        except Exception as error:
            raise translate(error, f"{self.where}: ECS DescribeServices") from None
        return list(answer.get("services", []))

    def describe_tasks(self, cluster: str, tasks: Sequence[str]) -> list[TaskTypeDef]:
        """At most 100 tasks of one cluster."""
        try:
            answer = self.client.describe_tasks(cluster=cluster, tasks=list(tasks))
        except Exception as error:
            raise translate(error, f"{self.where}: ECS DescribeTasks") from None
        return list(answer.get("tasks", []))

    def describe_container_instances(
        self, cluster: str, arns: Sequence[str]
    ) -> list[ContainerInstanceTypeDef]:
        """At most 100 container instances of one cluster."""
        try:
            answer = self.client.describe_container_instances(
                cluster=cluster, containerInstances=list(arns)
            )
        except Exception as error:
            raise translate(error, f"{self.where}: ECS DescribeContainerInstances") from None
        return list(answer.get("containerInstances", []))

    def describe_task_definition(self, task_definition: str) -> TaskDefinitionTypeDef:
        try:
            answer = self.client.describe_task_definition(taskDefinition=task_definition)
        except Exception as error:
            raise translate(error, f"{self.where}: ECS DescribeTaskDefinition") from None
        return answer["taskDefinition"]

    def cluster_settings(self, cluster: str) -> dict[str, str]:
        """One cluster's settings (``containerInsights`` → ``enhanced|enabled|disabled``):
        DescribeClusters returns them only when asked (``include=SETTINGS``)."""
        try:
            answer = self.client.describe_clusters(clusters=[cluster], include=["SETTINGS"])
        except Exception as error:
            raise translate(error, f"{self.where}: ECS DescribeClusters") from None
        found = answer.get("clusters", [])
        settings = found[0].get("settings", []) if found else []
        return {str(s.get("name")): str(s.get("value")) for s in settings if s.get("name")}


def _title(operation: str) -> str:
    return "".join(part.title() for part in operation.split("_"))


# -- the calls the change engine makes --------------------------------------------------

# Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not accept.
_READ_ONLY_TD_FIELDS = frozenset(
    {
        "taskDefinitionArn",
        "revision",
        "status",
        "requiresAttributes",
        "compatibilities",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
    }
)


def describe_services(
    ecs: ECSClient, cluster: str, names: Sequence[str]
) -> dict[str, ServiceTypeDef]:
    """The named services of ``cluster`` by name (10 per call); missing ones are absent."""
    found: dict[str, ServiceTypeDef] = {}
    for batch in batches(names, SERVICES_PER_CALL):
        try:
            answer = ecs.describe_services(cluster=cluster, services=batch)
        except Exception as error:
            raise translate(error, f"describing services in {cluster}") from None
        for service in answer.get("services", []):
            if service.get("status") != "INACTIVE":
                found[service.get("serviceName", "")] = service
    return found


def describe_service(ecs: ECSClient, cluster: str, name: str) -> ServiceTypeDef:
    """One service; UsageError when it does not exist (or is inactive)."""
    found = describe_services(ecs, cluster, [name])
    if name not in found:
        raise UsageError(f"service '{name}' not found in cluster '{cluster}'")
    return found[name]


def describe_task_definition(
    ecs: ECSClient, arn: str
) -> tuple[TaskDefinitionTypeDef, list[TagTypeDef]]:
    """A task definition and its tags."""
    try:
        answer = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
    except Exception as error:
        raise translate(error, f"describing task definition {arn}") from None
    return answer["taskDefinition"], list(answer.get("tags") or [])


def register_copy(
    ecs: ECSClient,
    task_definition: TaskDefinitionTypeDef,
    tags: Sequence[TagTypeDef],
    images: Mapping[str, str],
) -> str:
    """Register a new revision of ``task_definition`` with ``images`` (container -> image).

    Everything else (environment, secrets, sizes, roles, log settings, tags) is copied as
    is. Returns the new revision's ARN.
    """
    body: dict[str, Any] = {
        k: v for k, v in task_definition.items() if k not in _READ_ONLY_TD_FIELDS
    }
    body["containerDefinitions"] = [
        {**c, "image": images.get(c["name"], c["image"])} for c in body["containerDefinitions"]
    ]
    if tags:
        body["tags"] = [dict(t) for t in tags]
    family = task_definition.get("family", "")
    try:
        answer = ecs.register_task_definition(**body)
    except Exception as error:
        raise translate(error, f"registering a new revision of {family}") from None
    return str(answer["taskDefinition"].get("taskDefinitionArn", ""))


def update_service(
    ecs: ECSClient,
    cluster: str,
    service: str,
    *,
    task_definition: str | None = None,
    desired_count: int | None = None,
    force_new_deployment: bool = False,
    deployment_configuration: DeploymentConfigurationTypeDef | None = None,
) -> ServiceTypeDef:
    """UpdateService with only the given settings; returns the updated service."""
    kwargs: dict[str, Any] = {"cluster": cluster, "service": service}
    if deployment_configuration is not None:
        kwargs["deploymentConfiguration"] = dict(deployment_configuration)
    if task_definition is not None:
        kwargs["taskDefinition"] = task_definition
    if desired_count is not None:
        kwargs["desiredCount"] = desired_count
    if force_new_deployment:
        kwargs["forceNewDeployment"] = True
    try:
        return ecs.update_service(**kwargs)["service"]
    except Exception as error:
        raise translate(error, f"updating service {cluster}/{service}") from None


def family_revisions(ecs: ECSClient, family: str) -> list[str]:
    """The ACTIVE revisions of a task definition family, newest first."""
    arns: list[str] = []
    try:
        pages = ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, status="ACTIVE", sort="DESC", PaginationConfig={"PageSize": PAGE}
        )
        for page in pages:
            arns.extend(page.get("taskDefinitionArns", []))
    except Exception as error:
        raise translate(error, f"listing revisions of {family}") from None
    return [a for a in arns if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]


def describe_tasks(ecs: ECSClient, cluster: str, tasks: Sequence[str]) -> list[TaskTypeDef]:
    """Tasks by id or ARN (100 per call)."""
    found: list[TaskTypeDef] = []
    for batch in batches(tasks, TASKS_PER_CALL):
        try:
            found.extend(ecs.describe_tasks(cluster=cluster, tasks=batch)["tasks"])
        except Exception as error:
            raise translate(error, f"describing tasks in {cluster}") from None
    return found


def stop_task(ecs: ECSClient, cluster: str, task: str, reason: str) -> TaskTypeDef:
    """StopTask; returns the task as ECS reports it after the call."""
    try:
        return ecs.stop_task(cluster=cluster, task=task, reason=reason[:255])["task"]
    except Exception as error:
        raise translate(error, f"stopping task {task} in {cluster}") from None


def service_task_arns(ecs: ECSClient, cluster: str, service: str, desired_status: str) -> list[str]:
    """ARNs of one service's tasks with that desired status (RUNNING or STOPPED), 100 a page."""
    arns: list[str] = []
    try:
        pages = ecs.get_paginator("list_tasks").paginate(
            cluster=cluster,
            serviceName=service,
            desiredStatus=desired_status,  # type: ignore[arg-type]
            PaginationConfig={"PageSize": 100},
        )
        for page in pages:
            arns.extend(page.get("taskArns", []))
    except Exception as error:
        raise translate(error, f"listing tasks of {cluster}/{service}") from None
    return arns
