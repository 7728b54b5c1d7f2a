"""Which services a cluster has is listed at its own pace; the known services are described
every read (issue 14: ListServices only changes on create and delete).

On the session's sandbox over HTTP; the schedule's clock is a number the test moves, and
expected names and counts come from boto3 calls of the test's own.
"""

from __future__ import annotations

import uuid
from typing import Any

from opskit.estate.collect import Estate
from opskit.estate.freshness import Freshness, Paces
from opskit.estate.model import Snapshot

FAR = 10**9  # the slow tiers never come due by the clock here


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def dev_read(estate: Estate, fresh: Freshness) -> Snapshot:
    return estate.snapshot(["dev"], refresh=fresh)


def names(snapshot: Snapshot, cluster: str) -> set[str]:
    return {s.name for c, s in snapshot.environments[0].services() if c.arn == cluster}


def test_a_quiet_read_describes_the_known_services_and_lists_nothing(
    estate: Estate, alice: Any
) -> None:
    ecs = alice.client("ecs", env="dev")
    clusters = ecs.list_clusters()["clusterArns"]
    listed = {c: ecs.list_services(cluster=c, maxResults=100)["serviceArns"] for c in clusters}
    clock = Clock()
    paces = Paces(tasks=FAR, hosts=FAR, metrics=FAR, clusters=FAR, network=FAR, dns=FAR)
    fresh = Freshness(paces, clock)
    first = dev_read(estate, fresh)
    assert first.calls["ecs.ListServices"] == len(clusters)
    clock.now += 5
    quiet = dev_read(estate, fresh)
    assert "ecs.ListServices" not in quiet.calls, quiet.calls
    assert quiet.calls["ecs.DescribeServices"] == sum(-(-len(a) // 10) for a in listed.values())
    for cluster, arns in listed.items():
        assert names(quiet, cluster) == {a.rsplit("/", 1)[-1] for a in arns}
    clock.now += paces.listing  # the listing's own pace: listed again
    again = dev_read(estate, fresh)
    assert again.calls["ecs.ListServices"] == len(clusters)


def test_a_service_made_elsewhere_shows_when_listed_and_a_deleted_one_goes_at_once(
    estate: Estate, alice: Any
) -> None:
    ecs = alice.client("ecs", env="dev", access="deploy")
    cluster = ecs.list_clusters()["clusterArns"][0]
    some = ecs.list_services(cluster=cluster, maxResults=100)["serviceArns"][0]
    definition = ecs.describe_services(cluster=cluster, services=[some])["services"][0][
        "taskDefinition"
    ]
    clock = Clock()
    paces = Paces(tasks=FAR, hosts=FAR, metrics=FAR, clusters=FAR, network=FAR, dns=FAR)
    fresh = Freshness(paces, clock)
    dev_read(estate, fresh)
    name = f"pace-{uuid.uuid4().hex[:8]}"
    ecs.create_service(cluster=cluster, serviceName=name, taskDefinition=definition, desiredCount=0)
    try:
        clock.now += 5
        assert name not in names(dev_read(estate, fresh), cluster)  # not listed yet
        clock.now += paces.listing
        assert name in names(dev_read(estate, fresh), cluster)  # the listing came due
    finally:
        ecs.delete_service(cluster=cluster, service=name, force=True)
    clock.now += 5  # well before the next listing: the gone service is noticed anyway
    gone = dev_read(estate, fresh)
    assert name not in names(gone, cluster)
    assert gone.calls.get("ecs.ListServices", 0) >= 1  # listed again because of it
    status = ecs.describe_services(cluster=cluster, services=[name])["services"]
    assert all(s["status"] != "ACTIVE" for s in status)  # what AWS says of it now
