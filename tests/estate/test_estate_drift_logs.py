"""Drift between stage and prod on the sandbox, and service logs interleaved across tasks."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from opskit.estate import logs
from opskit.estate.collect import Estate
from opskit.estate.drift import drift
from opskit.estate.model import to_data

CANARY = "sandbox-canary-"
DELAY = "deregistration_delay.timeout_seconds"


@pytest.fixture
def stage_tracking_drains_in_17s(alice: Any) -> Iterator[None]:
    """A planted difference: stage's tracking target group drains in 17 s; restored after."""
    elb = alice.client("elbv2", env="stage", access="admin")
    (group,) = elb.describe_target_groups(Names=["stage-tracking"])["TargetGroups"]
    arn = group["TargetGroupArn"]
    attributes = elb.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"]
    before = next(a["Value"] for a in attributes if a["Key"] == DELAY)
    elb.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": DELAY, "Value": "17"}]
    )
    yield
    elb.modify_target_group_attributes(
        TargetGroupArn=arn, Attributes=[{"Key": DELAY, "Value": before}]
    )


def test_drift_finds_the_planted_difference_and_nothing_else(
    estate: Estate, stage_tracking_drains_in_17s: None
) -> None:
    result = drift(estate, "stage", "prod")
    assert not result.errors and result.services == 8
    found = [(d.service, d.what, d.a) for d in result.differences]
    # the seeded half-finished release (stage's billing runs :1, :2 is registered), and
    # stage's second region runs edge-proxy, which prod does not (sandbox/seed/shapes.py)
    planted = [
        ("billing", "revision", "running :1, latest :2"),
        ("edge-proxy", "service", "present"),
        ("tracking", "draining", "17 s"),
    ]
    assert found == planted, found
    assert CANARY not in json.dumps(to_data(result))


def test_logs_interleave_tasks_by_time_and_grep(estate: Estate) -> None:
    found = logs.sources(estate, "prod", "app-web")
    assert [(s.group, s.prefix) for s in found] == [
        ("/ecs/app-web", "ecs/app-web/"),
        ("/ecs/app-web", "ecs/datadog-agent/"),
    ]  # fmt: skip  (the sidecar's streams beside the service's own)
    lines = logs.read(estate, "prod", found, since=dt.timedelta(hours=3))
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    tasks = [line.task for line in lines]
    assert len(set(tasks)) >= 2
    switches = sum(1 for a, b in itertools.pairwise(tasks) if a != b)
    assert switches > len(set(tasks)), "lines of different tasks are merged, not concatenated"
    assert not any(CANARY in line.message for line in lines)
    word = "GET"
    grepped = logs.read(estate, "prod", found, since=dt.timedelta(hours=3), grep=word)
    assert grepped and all(word in line.message for line in grepped)
    assert len(grepped) < len(lines)
    (task,) = {grepped[-1].task}
    one = logs.sources(estate, "prod", "app-web", task)
    only = logs.read(estate, "prod", one, since=dt.timedelta(hours=3))
    assert only and {line.task for line in only} == {task}


def test_follow_yields_new_lines_as_they_arrive(estate: Estate) -> None:
    found = logs.sources(estate, "prod", "api")
    polls = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) > 30:
            raise TimeoutError("no new log line in 30 polls")
        import time

        time.sleep(0.5)

    started = dt.datetime.now(dt.UTC)
    seen: set[str] = set()
    for line in logs.follow(estate, "prod", found, since=dt.timedelta(seconds=30), sleep=sleep):
        assert line.event_id not in seen, "a line was printed twice"
        seen.add(line.event_id)
        if polls and line.at > started:
            break
    assert polls, "the first read came before any new line"
