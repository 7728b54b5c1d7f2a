"""The Application Auto Scaling gateway: an ECS service's scalable target (min, max).

A team that scales a service with Application Auto Scaling has already said how far it
may go: the scalable target of ``ecs:service:DesiredCount`` on ``service/CLUSTER/SERVICE``
carries MinCapacity and MaxCapacity. ``opskit scale`` keeps within them when the catalog
says nothing. One DescribeScalableTargets call per service (ResourceIds narrows it).

The client is typed by the one method used (``ScalingClient``): the project's boto3 stubs
do not include this service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from opskit.aws.errors import translate

DIMENSION = "ecs:service:DesiredCount"


class ScalingClient(Protocol):
    """What this gateway needs of boto3's ``application-autoscaling`` client."""

    def describe_scalable_targets(
        self, *, ServiceNamespace: str, ResourceIds: Sequence[str], ScalableDimension: str
    ) -> Mapping[str, object]: ...


@dataclass(frozen=True)
class ScalableTarget:
    """The bounds Application Auto Scaling keeps a service's desired count within."""

    resource_id: str
    min_capacity: int
    max_capacity: int


def resource_id(cluster: str, service: str) -> str:
    return f"service/{cluster}/{service}"


def service_target(client: ScalingClient, cluster: str, service: str) -> ScalableTarget | None:
    """The service's scalable target for its desired count, or None when it has none."""
    wanted = resource_id(cluster, service)
    try:
        answer = client.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[wanted], ScalableDimension=DIMENSION
        )
    except Exception as error:
        raise translate(error, f"reading the scalable target of {cluster}/{service}") from None
    targets = answer.get("ScalableTargets")
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, dict) and target.get("ResourceId") == wanted:
            return ScalableTarget(
                wanted, int(target.get("MinCapacity", 0)), int(target.get("MaxCapacity", 0))
            )
    return None
