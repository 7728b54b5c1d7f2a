"""Service events and deployments, worded and shaped as ECS shows them.

Events are newest first and capped at 100 per service, as DescribeServices returns them.
A deployment is the dict moto keeps in ``Service.deployments`` (PRIMARY first), with
AWS's fields: id ``ecs-svc/<19 digits>``, status, taskDefinition, desired/pending/running
counts, failedTasks, rolloutState and its reason, createdAt/updatedAt.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from typing import Any

from moto.core.utils import utcnow

MAX_EVENTS = 100


def add_event(service: Any, message: str) -> None:
    """Prepend one event (copy-on-write: a concurrent describe sees the old or new list)."""
    event = {"id": str(uuid.uuid4()), "createdAt": utcnow(), "message": message}
    service.events = [event, *list(service.events or [])[: MAX_EVENTS - 1]]


def _tasks(ids: Iterable[str]) -> str:
    return " ".join(f"(task {task_id})" for task_id in ids)


def started(service: Any, task_ids: list[str]) -> None:
    add_event(
        service, f"(service {service.name}) has started {len(task_ids)} tasks: {_tasks(task_ids)}."
    )


def stopped(service: Any, task_ids: list[str]) -> None:
    add_event(
        service,
        f"(service {service.name}) has stopped {len(task_ids)} running tasks: {_tasks(task_ids)}.",
    )


def draining(service: Any, count: int) -> None:
    add_event(service, f"(service {service.name}) has begun draining connections on {count} tasks.")


def registered(service: Any, count: int, group_arn: str) -> None:
    add_event(
        service,
        f"(service {service.name}) registered {count} targets in (target-group {group_arn})",
    )


def deregistered(service: Any, count: int, group_arn: str) -> None:
    add_event(
        service,
        f"(service {service.name}) deregistered {count} targets in (target-group {group_arn})",
    )


def steady(service: Any) -> None:
    add_event(service, f"(service {service.name}) has reached a steady state.")


def completed(service: Any, deployment: dict[str, Any]) -> None:
    add_event(
        service, f"(service {service.name}) (deployment {deployment['id']}) deployment completed."
    )


def failed(service: Any, deployment: dict[str, Any]) -> None:
    add_event(
        service,
        f"(service {service.name}) (deployment {deployment['id']}) deployment failed: "
        "tasks failed to start.",
    )


def rolling_back(service: Any, to_deployment: str) -> None:
    add_event(service, f"(service {service.name}) rolling back to deployment {to_deployment}.")


def unable_to_place(service: Any, instance_id: str, resource: str) -> None:
    add_event(
        service,
        f"(service {service.name}) was unable to place a task because no container instance "
        f"met all of its requirements. The closest matching (container-instance {instance_id}) "
        f"has insufficient {resource} available. For more information, see the Troubleshooting "
        "section.",
    )


def unable_to_start(service: Any) -> None:
    add_event(
        service,
        f"(service {service.name}) is unable to consistently start tasks successfully. For more "
        "information, see the Troubleshooting section of the Amazon ECS Developer Guide.",
    )


def unhealthy(service: Any, task_id: str, port: int, group_arn: str, reason: str) -> None:
    add_event(
        service,
        f"(service {service.name}) (task {task_id}) (port {port}) is unhealthy in (target-group "
        f"{group_arn}) due to (reason {reason}).",
    )


def new_deployment_id(rng: random.Random) -> str:
    return f"ecs-svc/{rng.randrange(10**18, 10**19)}"


def new_deployment(service: Any, task_definition: str, rng: random.Random) -> dict[str, Any]:
    """A fresh PRIMARY deployment IN_PROGRESS for ``task_definition``."""
    now = utcnow()
    deployment_id = new_deployment_id(rng)
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition,
        "desiredCount": service.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type or "EC2",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }


def primary(service: Any) -> dict[str, Any] | None:
    deployment: dict[str, Any]
    for deployment in service.deployments or []:
        if deployment.get("status") == "PRIMARY":
            return deployment
    return None


def touch(deployment: dict[str, Any], **changes: Any) -> None:
    deployment.update(changes)
    deployment["updatedAt"] = utcnow()
