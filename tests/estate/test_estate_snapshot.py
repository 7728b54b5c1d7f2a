"""The overview snapshot on the sandbox: complete, true to the catalog, at the floor of calls,
partial for bob, and complete through throttling."""

from __future__ import annotations

import math
from typing import Any

from opskit.estate.collect import Estate
from opskit.estate.model import Snapshot
from opskit.workspace import Workspace
from sandbox.seed.plans import plan_estate


def test_every_environment_is_read_and_matches_the_catalog(
    snapshot: Snapshot, alice_workspace: Workspace
) -> None:
    config = alice_workspace.config
    assert snapshot.complete, snapshot.errors
    assert [e.name for e in snapshot.environments] == config.env_names()
    for env in snapshot.environments:
        settings = config.environment(env.name)
        assert (env.account, env.region, env.protected) == (
            settings.account_id, settings.region, settings.protected,
        )  # fmt: skip
        first = [c for c in env.clusters if c.region == env.region]  # the catalog's region
        assert [c.name for c in first] == list(config.clusters)
        zone = config.dns.zone_for(env.name)
        for cluster in first:
            wanted = config.clusters[cluster.name]
            assert cluster.concern == wanted.concern
            assert len(cluster.instances) == wanted.hosts[env.name].count
            assert {i.instance_type for i in cluster.instances} == {
                wanted.hosts[env.name].instance_type
            }
            assert all(i.agent_connected and i.cpu_registered > 0 for i in cluster.instances)
            assert cluster.utilization.cpu is not None and cluster.utilization.cpu.values
        catalog = {n: s for n, s in config.services_in(env.name).items()}
        found = {s.name: (c, s) for c, s in env.services() if s.name in config.services}
        assert set(found) == set(catalog)
        shapes = {  # what the sandbox seeds beyond the catalog (sandbox/seed/shapes.py)
            s.name for p in plan_estate(config) if p.name == env.name
            for s in p.services if s.name not in config.services
        }  # fmt: skip
        assert {s.name for _, s in env.services() if s.name not in config.services} == shapes
        for name, (cluster, service) in found.items():
            spec = catalog[name]
            assert cluster.name == spec.cluster
            own = [i for i in service.images if i.startswith(spec.repository + ":")]
            sidecars = set(service.images) - set(own)  # the sandbox gives app-web one
            assert own and len(sidecars) == (1 if name == "app-web" else 0), sidecars
            running = len([t for t in service.tasks if t.last_status == "RUNNING"])
            if name == "integrations":
                # crash-loops on purpose: tasks die between DescribeServices and DescribeTasks
                assert abs(running - service.running) <= spec.size[env.name].desired
            else:
                assert running == service.running
            assert service.utilization.cpu is not None and service.utilization.cpu.values
            if spec.dns:
                assert f"{spec.dns}.{zone}" in service.dns_names
                assert [g.port for g in service.target_groups] == [spec.port]
                assert all(g.targets is None for g in service.target_groups)  # overview
            else:
                assert not service.target_groups and not service.dns_names


def test_weighted_traffic_records_reach_both_environments(snapshot: Snapshot) -> None:
    prod = snapshot.env("prod")
    assert prod is not None
    weighted = {r.set_identifier: r for r in prod.dns if r.name == "www.acme.internal"}
    assert {k: r.target_env for k, r in weighted.items()} == {"legacy": "stage", "new": "prod"}
    assert all(r.weight is not None for r in weighted.values())
    for env in ("stage", "prod"):
        state = snapshot.env(env)
        assert state is not None
        service = state.service("app-web")
        assert service is not None and "www.acme.internal" in service.dns_names


def test_calls_are_counted_and_no_more_than_pages_and_batches_need(snapshot: Snapshot) -> None:
    for env in snapshot.environments:
        calls: dict[str, int] = dict(env.calls)
        clusters = env.clusters
        tasks = [sum(len(s.tasks) for s in c.services) for c in clusters]
        assert calls["ecs.ListClusters"] == len(env.regions)  # one per region
        assert calls["ecs.DescribeClusters"] == len(env.regions)
        assert calls["ecs.ListServices"] == len(clusters)
        assert calls["ecs.DescribeServices"] == sum(
            math.ceil(len(c.services) / 10) for c in clusters
        )
        assert calls["ecs.ListTasks"] == len(clusters)
        assert calls["ecs.DescribeTasks"] == sum(math.ceil(n / 100) for n in tasks)
        assert calls["ecs.DescribeContainerInstances"] == len(clusters)
        assert calls["monitoring.GetMetricData"] == len(env.regions)
        assert "elasticloadbalancing.DescribeTargetHealth" not in calls  # detail depth only
    assert snapshot.total_calls == sum(sum(e.calls.values()) for e in snapshot.environments)


def test_bob_reads_dev_and_gets_stage_and_prod_as_errors(bob_workspace: Workspace) -> None:
    bob = bob_workspace
    snapshot = Estate(bob.accounts).snapshot()
    assert set(snapshot.errors) == {"stage", "prod"}
    for env in ("stage", "prod"):
        state = snapshot.env(env)
        assert state is not None and not state.clusters
        assert "bob may not enter" in snapshot.errors[env]
    dev = snapshot.env("dev")
    assert dev is not None and dev.ok
    seeded = [p for p in plan_estate(bob.config) if p.name == "dev"]  # the seed's own data
    assert len(list(dev.services())) == sum(len(p.services) for p in seeded)


def test_throttled_ecs_describes_still_give_a_complete_snapshot(
    estate: Estate, snapshot: Snapshot, sandbox_faults: Any
) -> None:
    for operation in ("DescribeServices", "DescribeTasks"):
        sandbox_faults.set(service="ecs", operation=operation, kind="throttle", rate=0.5, count=6)
    retries = estate.accounts.calls.retries
    again = estate.snapshot()
    assert again.complete, again.errors
    fired = sum(rule["fired"] for rule in sandbox_faults.list())
    assert fired > 0 and estate.accounts.calls.retries >= retries + fired
    for before, after in zip(snapshot.environments, again.environments, strict=True):
        assert [s.name for _, s in after.services()] == [s.name for _, s in before.services()]
        assert after.calls["ecs.DescribeServices"] == before.calls["ecs.DescribeServices"]
