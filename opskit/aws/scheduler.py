"""The EventBridge Scheduler gateway: schedules (every group) and one schedule's target.

``ListSchedules`` gives each schedule's target ARN only; a schedule that runs ECS tasks
targets a cluster ARN, and ``GetSchedule`` tells which task definition it runs. There are
no boto3 stubs for Scheduler in the lock, so the shapes read are typed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, TypedDict, cast

from opskit.aws.errors import translate

PAGE = 100


class TargetDict(TypedDict, total=False):
    Arn: str
    RoleArn: str
    EcsParameters: Mapping[str, object]


class ScheduleDict(TypedDict, total=False):
    Name: str
    GroupName: str
    Arn: str
    State: str
    ScheduleExpression: str
    Target: TargetDict


class Pages(Protocol):
    def paginate(self, **params: object) -> Iterable[Mapping[str, object]]: ...


class SchedulerClient(Protocol):
    """The part of boto3's ``scheduler`` client this gateway uses."""

    def get_paginator(self, operation_name: str) -> Pages: ...

    def get_schedule(self, *, Name: str, GroupName: str) -> Mapping[str, object]: ...


class SchedulerReader:
    """Schedules on one EventBridge Scheduler client (one account and region)."""

    def __init__(self, client: SchedulerClient, where: str) -> None:
        self.client = client
        self.where = where

    def schedules(self) -> list[ScheduleDict]:
        """Summaries of every schedule of every group (target ARN only)."""
        try:
            out: list[ScheduleDict] = []
            pages = self.client.get_paginator("list_schedules").paginate(
                PaginationConfig={"PageSize": PAGE}
            )
            for page in pages:
                items = page.get("Schedules") or []
                assert isinstance(items, list)
                out.extend(cast(ScheduleDict, dict(item)) for item in items)
            return out
        except Exception as error:
            raise translate(error, f"{self.where}: Scheduler ListSchedules") from None

    def schedule(self, group: str, name: str) -> ScheduleDict:
        """One schedule with its whole target (ECS parameters included)."""
        try:
            answer = self.client.get_schedule(Name=name, GroupName=group)
        except Exception as error:
            raise translate(error, f"{self.where}: Scheduler GetSchedule {group}/{name}") from None
        return cast(ScheduleDict, dict(answer))
