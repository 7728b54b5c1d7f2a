"""The dashboard's refresh schedule: which families of calls are due when (no AWS, no time:
the clock is a number the test moves)."""

from __future__ import annotations

from typing import Any

from opskit.estate.freshness import ALL, Family, Freshness, Paces, services_moved
from opskit.estate.raw_region import RawRegion


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def read(fresh: Freshness, env: str = "dev", region: str = "eu-west-1") -> frozenset[Family]:
    """What is due now; then record that it was read."""
    due = fresh.due(env, region)
    fresh.done(env, region, RawRegion(env, region), due.families)
    return due.families


def schedule() -> tuple[Freshness, Clock]:
    clock = Clock()
    return Freshness(
        Paces(tasks=30, hosts=60, metrics=60, clusters=180, network=180, dns=180, listing=90),
        clock,
    ), clock


def test_first_read_fetches_everything_with_nothing_to_reuse() -> None:
    fresh, _ = schedule()
    due = fresh.due("dev", "eu-west-1")
    assert due.families == ALL and due.previous is None
    assert all(due.reads(f) for f in Family)


def test_services_every_read_the_rest_at_their_pace() -> None:
    fresh, clock = schedule()
    read(fresh)
    clock.now += 5
    assert read(fresh) == {Family.services}
    clock.now += 25  # 30 s after the first read
    assert read(fresh) == {Family.services, Family.tasks}
    clock.now += 5
    assert read(fresh) == {Family.services}
    clock.now += 25  # 60 s
    assert read(fresh) == {Family.services, Family.tasks, Family.hosts, Family.metrics}
    for step in range(23):  # up to 175 s: never the balancers, DNS or the cluster list
        clock.now += 5
        assert not read(fresh) & {Family.network, Family.dns, Family.clusters}, step
        if step == 5:  # 90 s: which services each cluster has
            assert fresh.last("dev").get(Family.listing) == clock.now
    clock.now += 5  # 180 s
    assert {Family.network, Family.dns, Family.clusters} <= read(fresh)


def test_the_previous_read_is_handed_back_for_reuse() -> None:
    fresh, clock = schedule()
    first = RawRegion("dev", "eu-west-1")
    fresh.done("dev", "eu-west-1", first, ALL)
    clock.now += 5
    due = fresh.due("dev", "eu-west-1")
    assert due.previous is first
    assert due.reads(Family.services) and not due.reads(Family.network)


def test_expire_makes_one_environment_due_at_once() -> None:
    fresh, clock = schedule()
    read(fresh, "dev")
    read(fresh, "prod")
    clock.now += 5
    fresh.expire("dev")  # a change in dev, or ctrl+r there
    assert read(fresh, "dev") == ALL
    assert read(fresh, "prod") == {Family.services}
    clock.now += 5
    fresh.expire(None, [Family.network])  # every environment, one family
    assert read(fresh, "dev") == {Family.services, Family.network}
    assert read(fresh, "prod") == {Family.services, Family.network}


def test_regions_and_environments_keep_their_own_clocks() -> None:
    fresh, clock = schedule()
    read(fresh, "dev", "eu-west-1")
    clock.now += 100
    assert read(fresh, "dev", "us-east-1") == ALL  # never read there: everything
    assert Family.tasks in read(fresh, "dev", "eu-west-1")
    assert fresh.last("dev")[Family.services] == clock.now


def service(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "serviceArn": "arn:aws:ecs:eu-west-1:111111111111:service/app/api",
        "status": "ACTIVE",
        "desiredCount": 2,
        "runningCount": 2,
        "pendingCount": 0,
        "taskDefinition": "arn:aws:ecs:eu-west-1:111111111111:task-definition/api:7",
        "deployments": [
            {"id": "ecs-svc/1", "status": "PRIMARY", "rolloutState": "COMPLETED",
             "desiredCount": 2, "runningCount": 2, "pendingCount": 0, "failedTasks": 0}
        ],
        "events": [{"id": "e1", "message": "has reached a steady state."}],
    }  # fmt: skip
    base.update(changes)
    return base


def test_tasks_are_worth_reading_when_counts_or_deployments_move() -> None:
    before = [service()]
    assert not services_moved(before, [service()])
    assert not services_moved(before, [service(events=[{"id": "e2", "message": "steady"}])])
    assert services_moved(before, [service(runningCount=1)])
    assert services_moved(before, [service(desiredCount=3)])
    new = {"id": "ecs-svc/2", "status": "PRIMARY", "rolloutState": "IN_PROGRESS"}
    assert services_moved(before, [service(deployments=[new, *service()["deployments"]])])
    assert services_moved(before, [service(), service(serviceArn="arn:...:service/app/web")])
    assert services_moved(before, [])


def test_a_staged_first_read_is_the_matrix_then_everything_else() -> None:
    clock = Clock()
    fresh = Freshness(Paces(), clock, staged=True)
    first = fresh.due("dev", "eu-west-1")
    assert first.families == {Family.services, Family.clusters, Family.listing}
    assert first.previous is not None and not first.previous.services  # nothing to reuse
    assert not fresh.partial("dev")  # never read yet: nothing to complete
    fresh.done("dev", "eu-west-1", RawRegion("dev", "eu-west-1"), first.families)
    assert fresh.partial("dev")
    clock.now += 0.5  # the rest, straight after: every family never read is due
    assert read(fresh) == ALL - {Family.clusters, Family.listing}
    assert not fresh.partial("dev")
