"""Monitors as code against the sandbox endpoint: plan, apply through the engine, drift, prune."""

from __future__ import annotations

from pathlib import Path

import pytest
from dd_support import engine, http, received_events

from opskit.audit import Journal, changes, verify
from opskit.changes.monitors import MonitorsChange
from opskit.config import Config
from opskit.datadog import monitor_api
from opskit.datadog.client import DatadogClient
from opskit.datadog.monitors import MonitorPlan
from opskit.datadog.policy import MANAGED_TAG, expand
from opskit.errors import RefusedError
from sandbox.datadog.endpoint import DatadogEndpoint


def _plan(config: Config, env: str = "dev", prune: bool = False) -> MonitorPlan:
    return MonitorsChange(env, prune).monitor_plan(config)


def test_apply_then_plan_is_empty_and_journaled(tmp_path: Path, config: Config) -> None:
    first = _plan(config)
    expected = len(expand(config, ["dev"]))
    assert [s.action for s in first.steps] == ["create"] * expected
    eng = engine(tmp_path, config)
    result = eng.apply(eng.plan(MonitorsChange("dev")))
    assert result.outcome == "applied" and f"{expected} created" in result.detail

    again = _plan(config)
    assert again.empty and again.unchanged == expected
    assert eng.plan(MonitorsChange("dev")).empty  # the engine's plan too: nothing to do
    records = list(Journal(tmp_path / "journal.jsonl").records())
    assert [r["type"] for r in records] == ["intent", "outcome"]
    assert records[1]["change"] == "datadog-monitors" and records[1]["outcome"] == "applied"
    assert verify(Journal(tmp_path / "journal.jsonl")).ok


def test_server_drift_is_normalised_away(config: Config, endpoint: DatadogEndpoint) -> None:
    """The endpoint stores "query alert", trimmed messages and 85.0: none of it is drift."""
    client = DatadogClient.from_settings(config.datadog)
    spec = expand(config, ["dev"])[0]
    monitor_api.create(
        client, spec.model_copy(update={"type": "metric alert", "message": spec.message + "  \n\n"})
    )
    stored = monitor_api.list_managed(client)[0]
    assert stored["type"] == "query alert"
    assert stored["query"].endswith(".0") and not spec.query.endswith(".0")
    assert stored["message"] == spec.message.strip()
    plan = _plan(config)
    assert spec.identity not in {s.identity for s in plan.steps}


def test_a_hand_edit_shows_as_drift(
    tmp_path: Path, config: Config, endpoint: DatadogEndpoint
) -> None:
    eng = engine(tmp_path, config, notify=False)
    eng.apply(eng.plan(MonitorsChange("dev")))
    client = DatadogClient.from_settings(config.datadog)
    target = next(
        m for m in monitor_api.list_managed(client) if "opskit-monitor:dev.api.cpu" in m["tags"]
    )
    query = target["query"].replace("> 90.0", "> 99")
    status, _, _ = http(
        endpoint,
        "PUT",
        f"/api/v1/monitor/{target['id']}",
        {"query": query, "options": {"thresholds": {"critical": 99, "warning": 80}}},
    )
    assert status == 200

    plan = _plan(config)
    assert [(s.action, s.identity) for s in plan.steps] == [("update", "dev.api.cpu")]
    assert set(plan.steps[0].fields) == {"query", "critical"}
    before, after = plan.steps[0].before, plan.steps[0].after
    assert before is not None and after is not None
    assert before["critical"] == 99 and after["critical"] == 90
    eng.apply(eng.plan(MonitorsChange("dev")))
    assert _plan(config).empty


def test_prune_deletes_only_untracked_managed_monitors_and_only_when_asked(
    tmp_path: Path, config: Config, endpoint: DatadogEndpoint
) -> None:
    eng = engine(tmp_path, config, notify=False)
    eng.apply(eng.plan(MonitorsChange("dev")))
    base = {
        "type": "query alert",
        "message": "x",
        "query": "avg(last_5m):avg:aws.ecs.service.cpuutilization{servicename:gone} > 50",
        "options": {"thresholds": {"critical": 50}},
    }
    _, stale, _ = http(
        endpoint,
        "POST",
        "/api/v1/monitor",
        {**base, "name": "old", "tags": [MANAGED_TAG, "opskit-monitor:dev.gone.cpu", "env:dev"]},
    )
    _, other_env, _ = http(
        endpoint,
        "POST",
        "/api/v1/monitor",
        {**base, "name": "stage", "tags": [MANAGED_TAG, "opskit-monitor:stage.gone.cpu"]},
    )
    _, by_hand, _ = http(
        endpoint,
        "POST",
        "/api/v1/monitor",
        {**base, "name": "by hand", "tags": ["team:web", "env:dev"]},
    )

    plan = _plan(config)
    assert plan.empty and [s.monitor_id for s in plan.untracked] == [stale["id"]]
    assert eng.plan(MonitorsChange("dev")).empty  # without --prune nothing is deleted
    pruning = eng.plan(MonitorsChange("dev", prune=True))
    assert [d.before["id"] for d in pruning.diffs] == [stale["id"]]
    eng.apply(pruning)

    for kept in (other_env, by_hand):
        assert http(endpoint, "GET", f"/api/v1/monitor/{kept['id']}")[0] == 200
    assert http(endpoint, "GET", f"/api/v1/monitor/{stale['id']}")[0] == 404
    assert _plan(config, prune=True).empty


def test_prod_needs_confirmation_and_a_refusal_touches_nothing(
    tmp_path: Path, config: Config, endpoint: DatadogEndpoint
) -> None:
    eng = engine(tmp_path, config)
    planned = eng.plan(MonitorsChange("prod"))
    with pytest.raises(RefusedError, match="protected"):
        eng.apply(planned)
    assert monitor_api.list_managed(DatadogClient.from_settings(config.datadog)) == []
    entries = changes(Journal(tmp_path / "journal.jsonl").records())
    assert [e.status for e in entries] == ["refused"]
    [refusal] = received_events(endpoint)  # a refusal is an outcome too: it is told
    assert {"env:prod", "outcome:refused"} <= set(refusal["body"]["data"]["attributes"]["tags"])
    eng.apply(planned, confirm="prod")
    assert _plan(config, "prod").empty


def test_prod_thresholds_are_tighter(config: Config) -> None:
    by_id = {s.identity: s for s in expand(config, ["stage", "prod"])}
    for kind in ("cpu", "memory", "http_5xx"):
        assert by_id[f"prod.api.{kind}"].critical < by_id[f"stage.api.{kind}"].critical
    assert by_id["prod.api.running"].critical > by_id["stage.api.running"].critical


def test_a_plan_made_stale_by_a_hand_edit_is_refused(
    tmp_path: Path, config: Config, endpoint: DatadogEndpoint
) -> None:
    eng = engine(tmp_path, config, notify=False)
    eng.apply(eng.plan(MonitorsChange("dev")))
    client = DatadogClient.from_settings(config.datadog)
    target = next(
        m for m in monitor_api.list_managed(client) if "opskit-monitor:dev.api.memory" in m["tags"]
    )
    http(endpoint, "PUT", f"/api/v1/monitor/{target['id']}", {"name": "first edit"})
    planned = eng.plan(MonitorsChange("dev"))
    http(endpoint, "PUT", f"/api/v1/monitor/{target['id']}", {"name": "second edit"})
    with pytest.raises(RefusedError, match="stale plan"):
        eng.apply(planned)
    assert monitor_api.get(client, target["id"])["name"] == "second edit"
