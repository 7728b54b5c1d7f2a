"""ECS calls the change engine makes: the mutations, and the few reads they rest on.

Every function takes a boto3 ECS client from ``Accounts`` and turns botocore failures
into opskit errors. Reads respect AWS's batch limits (DescribeServices 10 names,
DescribeTasks 100 ids per call) even where the sandbox would accept more.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from opskit.aws.errors import translate
from opskit.errors import UsageError

DESCRIBE_SERVICES_BATCH = 10
DESCRIBE_TASKS_BATCH = 100

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


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def describe_services(ecs: Any, cluster: str, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The named services of ``cluster`` by name (10 per call); missing ones are absent."""
    found: dict[str, dict[str, Any]] = {}
    for batch in _chunks(list(names), DESCRIBE_SERVICES_BATCH):
        try:
            answer = ecs.describe_services(cluster=cluster, services=list(batch))
        except Exception as error:
            raise translate(error, f"describing services in {cluster}") from None
        for service in answer.get("services", []):
            if service.get("status") != "INACTIVE":
                found[service["serviceName"]] = service
    return found


def describe_service(ecs: Any, cluster: str, name: str) -> dict[str, Any]:
    """One service; UsageError when it does not exist (or is inactive)."""
    found = describe_services(ecs, cluster, [name])
    if name not in found:
        raise UsageError(f"service '{name}' not found in cluster '{cluster}'")
    return found[name]


def describe_task_definition(ecs: Any, arn: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """A task definition and its tags."""
    try:
        answer = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
    except Exception as error:
        raise translate(error, f"describing task definition {arn}") from None
    return answer["taskDefinition"], list(answer.get("tags") or [])


def register_copy(
    ecs: Any,
    task_definition: Mapping[str, Any],
    tags: Sequence[Mapping[str, str]],
    images: Mapping[str, str],
) -> str:
    """Register a new revision of ``task_definition`` with ``images`` (container -> image).

    Everything else (environment, secrets, sizes, roles, log settings, tags) is copied as
    is. Returns the new revision's ARN.
    """
    body = {k: v for k, v in task_definition.items() if k not in _READ_ONLY_TD_FIELDS}
    body["containerDefinitions"] = [
        {**c, "image": images.get(c["name"], c["image"])} for c in body["containerDefinitions"]
    ]
    if tags:
        body["tags"] = [dict(t) for t in tags]
    family = task_definition["family"]
    try:
        answer = ecs.register_task_definition(**body)
    except Exception as error:
        raise translate(error, f"registering a new revision of {family}") from None
    return str(answer["taskDefinition"]["taskDefinitionArn"])


def update_service(
    ecs: Any,
    cluster: str,
    service: str,
    *,
    task_definition: str | None = None,
    desired_count: int | None = None,
    force_new_deployment: bool = False,
) -> dict[str, Any]:
    """UpdateService with only the given settings; returns the updated service."""
    kwargs: dict[str, Any] = {"cluster": cluster, "service": service}
    if task_definition is not None:
        kwargs["taskDefinition"] = task_definition
    if desired_count is not None:
        kwargs["desiredCount"] = desired_count
    if force_new_deployment:
        kwargs["forceNewDeployment"] = True
    try:
        return dict(ecs.update_service(**kwargs)["service"])
    except Exception as error:
        raise translate(error, f"updating service {cluster}/{service}") from None


def family_revisions(ecs: Any, family: str) -> list[str]:
    """The ACTIVE revisions of a task definition family, newest first."""
    arns: list[str] = []
    try:
        pages = ecs.get_paginator("list_task_definitions").paginate(
            familyPrefix=family, status="ACTIVE", sort="DESC", PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            arns.extend(page.get("taskDefinitionArns", []))
    except Exception as error:
        raise translate(error, f"listing revisions of {family}") from None
    return [a for a in arns if a.rsplit("/", 1)[-1].rsplit(":", 1)[0] == family]


def describe_tasks(ecs: Any, cluster: str, tasks: Sequence[str]) -> list[dict[str, Any]]:
    """Tasks by id or ARN (100 per call)."""
    found: list[dict[str, Any]] = []
    for batch in _chunks(list(tasks), DESCRIBE_TASKS_BATCH):
        try:
            found.extend(ecs.describe_tasks(cluster=cluster, tasks=list(batch))["tasks"])
        except Exception as error:
            raise translate(error, f"describing tasks in {cluster}") from None
    return found


def stop_task(ecs: Any, cluster: str, task: str, reason: str) -> dict[str, Any]:
    """StopTask; returns the task as ECS reports it after the call."""
    try:
        return dict(ecs.stop_task(cluster=cluster, task=task, reason=reason[:255])["task"])
    except Exception as error:
        raise translate(error, f"stopping task {task} in {cluster}") from None


def service_task_arns(ecs: Any, cluster: str, service: str, desired_status: str) -> list[str]:
    """ARNs of one service's tasks with that desired status (RUNNING or STOPPED), 100 a page."""
    arns: list[str] = []
    try:
        pages = ecs.get_paginator("list_tasks").paginate(
            cluster=cluster,
            serviceName=service,
            desiredStatus=desired_status,
            PaginationConfig={"PageSize": 100},
        )
        for page in pages:
            arns.extend(page.get("taskArns", []))
    except Exception as error:
        raise translate(error, f"listing tasks of {cluster}/{service}") from None
    return arns
