"""Refresh bookkeeping on fixed data: a read where nothing moved keeps the state object (so
nothing is redrawn), a read where something moved replaces it, and the service screen's
slower detail keeps the overview's live deployments and counts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import tui_sample as sample

from opskit.config import Config
from opskit.estate import DeploymentState
from tui.live import live_detail
from tui.state import EstateView


def later(seconds: int) -> dt.datetime:
    return sample.NOW + dt.timedelta(seconds=seconds)


def test_a_read_where_nothing_moved_keeps_the_state_object(config: Config) -> None:
    first = sample.environment("dev")
    view = EstateView.empty(config, ["dev"]).arrived(sample.snapshot(first), 10)
    again = dataclasses.replace(first, fetched_at=later(5), calls={"ecs.ListServices": 3})
    status = view.arrived(sample.snapshot(again), 20).env("dev")
    assert status is not None
    assert status.state is first  # the same object: screens skip redrawing it
    assert status.updated_at == later(5)  # yet the age line says it was just read
    assert status.calls == 3


def test_a_read_where_a_service_moved_replaces_the_state(config: Config) -> None:
    first = sample.environment("dev")
    view = EstateView.empty(config, ["dev"]).arrived(sample.snapshot(first), 10)
    cluster = first.clusters[0]
    moved = dataclasses.replace(cluster.services[0], running=cluster.services[0].running + 1)
    clusters = (dataclasses.replace(cluster, services=(moved, *cluster.services[1:])),)
    again = dataclasses.replace(first, clusters=clusters + first.clusters[1:], fetched_at=later(5))
    status = view.arrived(sample.snapshot(again), 20).env("dev")
    assert status is not None and status.state is not first
    shown = status.state.service(moved.name) if status.state else None
    assert shown is not None and shown.running == moved.running


def test_the_detail_keeps_the_overviews_live_deployments() -> None:
    env = sample.environment("dev", "api")
    name = env.clusters[0].services[0].name
    detail = sample.environment("dev", name).service(name)
    overview = sample.environment("dev").service(name)
    assert detail is not None and overview is not None
    fresh = DeploymentState("ecs-svc/99", "PRIMARY", "api:99", "IN_PROGRESS", desired=5)
    newer = dataclasses.replace(
        overview, desired=5, deployments=(fresh, *overview.deployments), task_definition="api:99"
    )
    live = live_detail(detail, newer)
    assert live.deployments[0].id == "ecs-svc/99" and live.desired == 5
    assert live.task_definition == "api:99"
    assert live.definition == detail.definition and live.tasks == detail.tasks  # detail kept
    other = dataclasses.replace(newer, arn=newer.arn + "-other")
    assert live_detail(detail, other) is detail  # never another service's counts
