"""Scheduled ECS tasks of one account and region: EventBridge rules and Scheduler schedules.

A rule (default event bus) runs tasks when one of its targets has ``EcsParameters``; its
target ``Arn`` is the cluster. A Scheduler schedule runs tasks when its target ``Arn`` is a
cluster; only those schedules are read whole (``GetSchedule``), for their task definition.
Cost: one ListRules page per 100 rules plus one ListTargetsByRule per rule, one
ListSchedules page per 100 schedules plus one GetSchedule per ECS schedule. Callers treat a
failure as "schedules unknown", never as a failed environment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from opskit.aws.events import EventsClient, EventsReader
from opskit.aws.scheduler import SchedulerClient, SchedulerReader
from opskit.estate.model import ScheduledTask


def cluster_of(arn: str) -> str:
    """The cluster name of an ECS cluster ARN, or "" for any other ARN."""
    if ":ecs:" not in arn or ":cluster/" not in arn:
        return ""
    return arn.rsplit("/", 1)[-1]


def _definition(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _launch(parameters: Mapping[str, object]) -> str:
    launch = parameters.get("LaunchType")
    return launch if isinstance(launch, str) else ""


def _count(parameters: Mapping[str, object]) -> int:
    count = parameters.get("TaskCount", 1)
    return count if isinstance(count, int) else 1


def _text(parameters: Mapping[str, object], key: str) -> str:
    value = parameters.get(key, "")
    return value if isinstance(value, str) else ""


def rule_tasks(
    events: EventsClient, where: str, region: str, each: Callable[..., list[object]]
) -> list[ScheduledTask]:
    """Every (rule, ECS target) pair of the default event bus."""
    reader = EventsReader(events, where)
    rules = reader.rules()
    answers = each(lambda rule: reader.targets(rule["Name"]), rules)
    found = []
    for rule, targets in zip(rules, answers, strict=True):
        assert isinstance(targets, list)
        for target in targets:
            cluster = cluster_of(target.get("Arn", ""))
            parameters = target.get("EcsParameters")
            if not cluster or parameters is None:
                continue
            found.append(
                ScheduledTask(
                    source="rule",
                    name=rule.get("Name", ""),
                    expression=rule.get("ScheduleExpression", ""),
                    state=rule.get("State", ""),
                    cluster=cluster,
                    task_definition=_definition(parameters.get("TaskDefinitionArn", "")),
                    count=int(parameters.get("TaskCount", 1) or 1),
                    group=parameters.get("Group", ""),
                    launch_type=parameters.get("LaunchType", ""),
                    region=region,
                )
            )
    return found


def schedule_tasks(
    scheduler: SchedulerClient, where: str, region: str, each: Callable[..., list[object]]
) -> list[ScheduledTask]:
    """Every Scheduler schedule (any group) whose target is an ECS cluster."""
    reader = SchedulerReader(scheduler, where)
    summaries = [
        s for s in reader.schedules() if cluster_of((s.get("Target") or {}).get("Arn", ""))
    ]
    whole = each(lambda s: reader.schedule(s.get("GroupName", "default"), s["Name"]), summaries)
    found = []
    for schedule in whole:
        assert isinstance(schedule, dict)
        target = schedule.get("Target") or {}
        parameters: Mapping[str, object] = target.get("EcsParameters") or {}
        found.append(
            ScheduledTask(
                source="schedule",
                name=f"{schedule.get('GroupName', 'default')}/{schedule.get('Name', '')}",
                expression=schedule.get("ScheduleExpression", ""),
                state=schedule.get("State", ""),
                cluster=cluster_of(target.get("Arn", "")),
                task_definition=_definition(_text(parameters, "TaskDefinitionArn")),
                count=_count(parameters),
                group=_text(parameters, "Group"),
                launch_type=_launch(parameters),
                region=region,
            )
        )
    return found


def by_cluster(found: Sequence[ScheduledTask]) -> dict[str, tuple[ScheduledTask, ...]]:
    out: dict[str, list[ScheduledTask]] = {}
    for item in sorted(found, key=lambda s: (s.cluster, s.source, s.name)):
        out.setdefault(item.cluster, []).append(item)
    return {k: tuple(v) for k, v in out.items()}
