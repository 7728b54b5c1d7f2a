"""The EventBridge gateway: rules of the default event bus and their targets.

Scheduled ECS tasks made the classic way are an EventBridge rule (``rate(1 hour)``,
``cron(…)``) with a target whose ``Arn`` is a cluster and whose ``EcsParameters`` name the
task definition. Both lists follow every page (100 a page, AWS's maximum). There are no
boto3 stubs for EventBridge in the lock, so the shapes read are typed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypedDict, cast

from opskit.aws.errors import translate

PAGE = 100


class RuleDict(TypedDict, total=False):
    Name: str
    Arn: str
    State: str
    ScheduleExpression: str
    EventPattern: str
    EventBusName: str


class EcsParametersDict(TypedDict, total=False):
    TaskDefinitionArn: str
    TaskCount: int
    LaunchType: str
    Group: str


class TargetDict(TypedDict, total=False):
    Id: str
    Arn: str
    RoleArn: str
    EcsParameters: EcsParametersDict


class Pages(Protocol):
    def paginate(self, **params: object) -> Iterable[Mapping[str, object]]: ...


class EventsClient(Protocol):
    """The part of boto3's ``events`` client this gateway uses."""

    def get_paginator(self, operation_name: str) -> Pages: ...


class EventsReader:
    """List calls on one EventBridge client (one account and region)."""

    def __init__(self, client: EventsClient, where: str) -> None:
        self.client = client
        self.where = where

    def rules(self) -> list[RuleDict]:
        """Every rule of the default event bus."""
        return [cast(RuleDict, r) for r in self._pages("list_rules", "Rules")]

    def targets(self, rule: str) -> list[TargetDict]:
        """The targets of one rule of the default event bus."""
        found = self._pages("list_targets_by_rule", "Targets", Rule=rule)
        return [cast(TargetDict, t) for t in found]

    def _pages(self, operation: str, key: str, **params: object) -> list[dict[str, object]]:
        try:
            out: list[dict[str, object]] = []
            pages = self.client.get_paginator(operation).paginate(
                **params, PaginationConfig={"PageSize": PAGE}
            )
            for page in pages:
                items = page.get(key) or []
                assert isinstance(items, list)
                out.extend(dict(item) for item in items)
            return out
        except Exception as error:
            title = "".join(part.title() for part in operation.split("_"))
            raise translate(error, f"{self.where}: EventBridge {title}") from None
