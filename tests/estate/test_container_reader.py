"""``ContainerReader`` on the sandbox (over HTTP): the calls an open task view costs, and
the figures it reads being the ones CloudWatch holds (read with boto3)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from insights_reads import FIGURES, candidates, container_reads

from opskit.estate.collect import Estate
from opskit.estate.container_metrics import ContainerReader
from opskit.workspace import open_workspace

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_one_read_per_period_for_every_container_at_once(sandbox: Any, alice: Any) -> None:
    workspace = open_workspace(CONFIG, user="alice")
    accounts = workspace.accounts
    service = Estate(accounts, utilization=False).service("prod", "app-web")
    tasks = [t for t in service.tasks if t.last_status == "RUNNING"]
    assert len(tasks) >= 2 and all(len(t.containers) == 2 for t in tasks)
    clock = Clock()
    reader = ContainerReader(accounts, period=60, clock=clock)

    def calls() -> Counter[str]:
        return Counter(accounts.calls.by_operation())

    before = calls()
    found = reader.read("prod", "app", tasks)
    first = calls() - before
    assert first == Counter({"ecs.DescribeClusters": 1, "monitoring.GetMetricData": 1})
    assert found.insights == "enhanced" and not found.note
    assert len(found.containers) == 2 * len(tasks)
    clock.now += 59  # the same CloudWatch period: the answer is reused
    assert reader.read("prod", "app", tasks) is found
    assert calls() - before == first
    clock.now += 2  # the next period: CloudWatch again, the cluster's setting still known
    reader.read("prod", "app", tasks)
    assert calls() - before == first + Counter({"monitoring.GetMetricData": 1})

    reads = container_reads(
        alice.client("cloudwatch", env="prod"),
        "app",
        [
            (t.id, t.task_definition.rsplit(":", 1)[0], [c.name for c in t.containers])
            for t in tasks
        ],
    )
    for usage in found.containers:
        seen = {figure: round(getattr(usage, figure), 3) for figure in FIGURES}
        assert seen in candidates(reads, usage.task, usage.container, 3), usage


def test_a_cluster_without_insights_costs_no_cloudwatch_call(sandbox: Any) -> None:
    workspace = open_workspace(CONFIG, user="alice")
    accounts = workspace.accounts
    service = Estate(accounts, utilization=False).service("stage", "edge-proxy")
    before = Counter(accounts.calls.by_operation())
    found = ContainerReader(accounts).read("stage", service.cluster, service.tasks)
    assert Counter(accounts.calls.by_operation()) - before == Counter({"ecs.DescribeClusters": 1})
    assert found.insights == "disabled" and found.containers == ()
    assert found.note == "Container Insights off for cluster edge"


def test_insights_without_enhanced_observability_says_so(sandbox: Any, alice: Any) -> None:
    admin = alice.client("ecs", env="dev", access="admin")
    workspace = open_workspace(CONFIG, user="alice")
    accounts = workspace.accounts
    service = Estate(accounts, utilization=False).service("dev", "cdn-edge")
    assert service.cluster == "cdn" and service.tasks
    admin.update_cluster_settings(
        cluster="cdn", settings=[{"name": "containerInsights", "value": "enabled"}]
    )
    try:
        before = Counter(accounts.calls.by_operation())
        found = ContainerReader(accounts).read("dev", "cdn", service.tasks)
        assert Counter(accounts.calls.by_operation()) - before == Counter(
            {"ecs.DescribeClusters": 1}
        )  # nothing to ask CloudWatch for
    finally:
        admin.update_cluster_settings(
            cluster="cdn", settings=[{"name": "containerInsights", "value": "enhanced"}]
        )
    assert found.insights == "enabled" and found.containers == ()
    assert found.note == (
        "Container Insights on cluster cdn is 'enabled', not 'enhanced': no per-container metrics"
    )
