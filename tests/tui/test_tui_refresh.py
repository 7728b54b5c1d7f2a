"""The dashboard's refresh tiers on the live sandbox: a change made elsewhere shows at the
next tick, while balancers, listeners, rules, target groups and DNS are not re-read every
tick; ctrl+r reads them again. Ticks are driven by the test (``refresh_estate``), and the
slow tiers' paces are set far away, so nothing here depends on the time a step takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from tui_pilot import loaded, until

from opskit.config import Config
from opskit.estate.freshness import Paces
from tui.app import OpskitApp
from tui.library import LibrarySource
from tui.settings import Settings

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
LONG = 3000  # pauses of 20 ms: a minute on a loaded machine
SLOW = (
    "elasticloadbalancing.DescribeLoadBalancers",
    "elasticloadbalancing.DescribeListeners",
    "elasticloadbalancing.DescribeRules",
    "elasticloadbalancing.DescribeTargetGroups",
    "route53.ListHostedZones",
    "route53.ListResourceRecordSets",
    "ecs.ListClusters",
)


def delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


async def tick(pilot: Any, app: OpskitApp, env: str = "dev", everything: bool = False) -> None:
    """One refresh of ``env``, waited for until the screen's view holds it."""
    status = app.estate.env(env)
    before = status.fetched_at if status else None
    app.refresh_estate(everything=everything)
    await until(
        pilot, lambda: (s := app.estate.env(env)) is not None and s.fetched_at != before, LONG
    )


async def test_a_change_shows_at_the_next_tick_and_balancers_wait(
    config: Config, alice: Any
) -> None:
    far = 10**9  # slow tiers never come due by the clock during this test
    paces = Paces(
        tasks=far, hosts=far, metrics=far, clusters=far, network=far, dns=far, listing=far
    )
    source = LibrarySource(config, None, paces=paces)
    settings = Settings.from_config(config, ("dev",), refresh=3600)  # the test ticks
    app = OpskitApp(config, source, settings)
    ecs = alice.client("ecs", env="dev", access="deploy")
    clusters = ecs.list_clusters()["clusterArns"]
    services = {c: ecs.list_services(cluster=c, maxResults=100)["serviceArns"] for c in clusters}
    cluster = next(c for c in clusters if services[c])
    arn = services[cluster][0]
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)  # services first (a staged first read), the rest straight after
        await until(pilot, lambda: not source.partial("dev"), LONG)
        await tick(pilot, app)  # past the second read
        calls = source.workspace.accounts.calls
        start = calls.by_operation()
        for _ in range(3):
            await tick(pilot, app)
        quiet = delta(start, calls.by_operation())
        # Services every tick: one DescribeServices per 10 of the services listed last;
        # which services a cluster has (ListServices) only at its own pace.
        assert "ecs.ListServices" not in quiet, quiet
        describes = sum(-(-len(arns) // 10) for arns in services.values())
        assert quiet["ecs.DescribeServices"] == 3 * describes
        assert not {op: n for op, n in quiet.items() if op in SLOW}, quiet

        was = ecs.describe_services(cluster=cluster, services=[arn])["services"][0]
        changed = ecs.update_service(
            cluster=cluster, service=arn, desiredCount=was["desiredCount"] + 1,
            forceNewDeployment=True,
        )["service"]  # fmt: skip
        try:
            new = next(d["id"] for d in changed["deployments"] if d["status"] == "PRIMARY")
            await tick(pilot, app)
            state = app.estate.env("dev")
            assert state is not None and state.state is not None
            name = changed["serviceName"]
            shown = next(
                s for c, s in state.state.services() if c.arn == cluster and s.name == name
            )
            assert new in [d.id for d in shown.deployments]
            assert shown.desired == was["desiredCount"] + 1

            before = calls.by_operation()
            await pilot.press("ctrl+r")  # everything, now
            await until(pilot, lambda: calls.by_operation().get("route53.ListHostedZones", 0)
                        > before.get("route53.ListHostedZones", 0), LONG)  # fmt: skip
            await tick(pilot, app)
            full = delta(before, calls.by_operation())
            for op in ("elasticloadbalancing.DescribeLoadBalancers", "ecs.ListClusters",
                       "route53.ListHostedZones", "ecs.ListTasks"):  # fmt: skip
                assert full.get(op, 0) >= 1, (op, full)
        finally:
            ecs.update_service(cluster=cluster, service=arn, desiredCount=was["desiredCount"])
