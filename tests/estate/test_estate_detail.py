"""Detail depth on the sandbox: one service with target health, its definition (names
only), stopped tasks classified; and a crash-looping service recognised as one."""

from __future__ import annotations

import json
import time

from opskit.estate.collect import Estate
from opskit.estate.model import StopKind, to_data
from opskit.workspace import Workspace

CANARY = "sandbox-canary-"


def test_detail_read_of_a_service(estate: Estate, alice_workspace: Workspace) -> None:
    before = estate.accounts.calls.by_operation()
    service = estate.service("prod", "app-web")
    calls = {
        k: v - before.get(k, 0)
        for k, v in estate.accounts.calls.by_operation().items()
        if v != before.get(k, 0)
    }
    spec = alice_workspace.config.service("app-web")
    assert service.cluster == spec.cluster and service.desired >= 1
    assert service.deployments and service.deployments[0].status == "PRIMARY"
    assert service.events, "detail depth carries the service's events"
    (group,) = service.target_groups
    assert group.name == "prod-app-web" and group.deregistration_delay is not None
    assert group.targets is not None and len(group.targets) >= service.running
    assert {t.state for t in group.targets} <= {
        "initial", "healthy", "unhealthy", "draining", "unused", "unavailable",
    }  # fmt: skip
    assert "app.prod.acme.internal" in service.dns_names
    assert service.definition is not None
    container, sidecar = service.definition.containers  # the sandbox's datadog-agent
    assert (sidecar.name, sidecar.essential, sidecar.log_group) == (
        "datadog-agent", False, "/ecs/app-web",
    )  # fmt: skip
    assert container.ports == (spec.port,) and container.tag == service.tags[0]
    assert set(spec.env) | set(spec.secrets) <= set(container.env_names)
    assert container.log_group == "/ecs/app-web"
    assert CANARY not in json.dumps(to_data(service)), "a secret value reached the model"
    assert service.utilization.cpu is not None and service.utilization.cpu.values
    # the only per-target-group calls are this service's own: one of each
    assert calls["elasticloadbalancing.DescribeTargetHealth"] == 1
    assert calls["elasticloadbalancing.DescribeTargetGroupAttributes"] == 1
    # found by discovery: one ListClusters per region, one DescribeServices per cluster
    prod = alice_workspace.config.environment("prod")
    assert calls["ecs.ListClusters"] == len(prod.regions)
    assert calls["ecs.DescribeServices"] == len(alice_workspace.config.clusters)


def test_unknown_service_is_a_usage_error(estate: Estate) -> None:
    from opskit.errors import UsageError

    try:
        estate.service("dev", "no-such-service")
    except UsageError as error:
        assert "no-such-service" in str(error) and "dev" in str(error)
    else:
        raise AssertionError("expected a UsageError")


def test_crash_looping_service_is_flagged_with_classified_stops(estate: Estate) -> None:
    deadline = time.monotonic() + 60
    while True:  # the simulator kills integrations' tasks every few sandbox minutes
        service = estate.service("dev", "integrations")
        stopped = [t for t in service.tasks if t.last_status == "STOPPED"]
        if service.health.crash_looping or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert service.health.crash_looping, service.health
    kinds = {t.stop_kind for t in stopped}
    assert kinds & {StopKind.oom, StopKind.essential_exit}, kinds
    assert all(t.stopped_reason for t in stopped)
