"""Stopped-reason classification and crash-loop detection (pure rules, no AWS)."""

from __future__ import annotations

import datetime as dt

import pytest

from opskit.estate.classify import crash_looping, stop_kind
from opskit.estate.model import DeploymentState, ServiceEvent, StopKind, TaskState

NOW = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("reason", "code", "containers", "kind"),
    [
        (
            "Essential container in task exited",
            "EssentialContainerExited",
            ["OutOfMemoryError: Container killed due to memory usage"],
            StopKind.oom,
        ),
        ("Essential container in task exited", "EssentialContainerExited", [""],
         StopKind.essential_exit),
        (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
            "failed to resolve ref ghcr.io/acme/api:nope: not found",
            "TaskFailedToStart",
            [],
            StopKind.image_pull,
        ),
        (
            "Task failed ELB health checks in (target-group arn:aws:elasticloadbalancing:eu-west-1:"
            "1:targetgroup/prod-api/abc)",
            "ServiceSchedulerInitiated",
            [],
            StopKind.health_check,
        ),
        ("Task failed container health checks", "", [], StopKind.health_check),
        ("ResourceInitializationError: unable to create new container", "TaskFailedToStart", [],
         StopKind.start_failure),
        ("Task stopped by user", "UserInitiated", [], StopKind.user_stop),
        ("", "UserInitiated", [], StopKind.user_stop),
        ("Scaling activity initiated by (deployment ecs-svc/1234567890123456789)",
         "ServiceSchedulerInitiated", [], StopKind.deployment),
        ("Service scaled in", "ServiceSchedulerInitiated", [], StopKind.scaling),
        ("Host EC2 (instance i-0abc) terminated.", "", [], StopKind.host),
        ("", "SpotInterruption", [], StopKind.host),
        ("something nobody foresaw", "", [], StopKind.other),
        ("", "", [], StopKind.none),
    ],
)  # fmt: skip
def test_stop_kind(reason: str, code: str, containers: list[str], kind: StopKind) -> None:
    assert stop_kind(reason, code, containers) is kind


def _deployment(failed: int, rollout: str = "IN_PROGRESS") -> DeploymentState:
    return DeploymentState("ecs-svc/1", "PRIMARY", "api:2", rollout, failed_tasks=failed)


def _stopped(kind: StopKind, minutes_ago: int) -> TaskState:
    return TaskState(
        arn="arn:t", id="t", service="api", task_definition="api:1", last_status="STOPPED",
        desired_status="STOPPED", stopped_at=NOW - dt.timedelta(minutes=minutes_ago),
        stop_kind=kind,
    )  # fmt: skip


def test_crash_looping_from_failed_tasks_of_an_unfinished_deployment() -> None:
    args = {"desired": 2, "running": 1, "events": [], "now": NOW}
    assert crash_looping(deployments=[_deployment(3)], **args)  # type: ignore[arg-type]
    assert not crash_looping(deployments=[_deployment(3, "COMPLETED")], **args)  # type: ignore[arg-type]
    assert not crash_looping(deployments=[_deployment(0)], **args)  # type: ignore[arg-type]


def test_crash_looping_from_ecs_event_and_from_stopped_tasks() -> None:
    event = ServiceEvent(
        NOW - dt.timedelta(minutes=2),
        "(service integrations) is unable to consistently start tasks successfully.",
    )
    assert crash_looping(desired=1, running=1, deployments=[], events=[event], now=NOW)
    old = ServiceEvent(NOW - dt.timedelta(hours=2), event.message)
    assert not crash_looping(desired=1, running=1, deployments=[], events=[old], now=NOW)
    dying = [_stopped(StopKind.oom, 3), _stopped(StopKind.essential_exit, 8)]
    assert crash_looping(desired=1, running=1, deployments=[], events=[], stopped=dying, now=NOW)
    replaced = [_stopped(StopKind.deployment, 3), _stopped(StopKind.deployment, 4)]
    assert not crash_looping(
        desired=1, running=1, deployments=[], events=[], stopped=replaced, now=NOW
    )


def test_repeated_starts_below_desired_is_crash_looping_but_scaled_to_zero_never_is() -> None:
    starts = [
        ServiceEvent(NOW - dt.timedelta(minutes=m), "(service x) has started 1 tasks: (task a).")
        for m in (1, 4, 7)
    ]
    assert crash_looping(desired=2, running=1, deployments=[], events=starts, now=NOW)
    # steady, yet it keeps starting tasks: replacements for ones that die
    assert crash_looping(desired=2, running=2, deployments=[], events=starts, now=NOW)
    # a rolling deployment starts tasks too: not a crash loop while it is at desired
    rolling = [_deployment(0)]
    assert not crash_looping(desired=2, running=2, deployments=rolling, events=starts, now=NOW)
    assert not crash_looping(
        desired=0, running=0, deployments=[_deployment(5)], events=starts, now=NOW
    )
