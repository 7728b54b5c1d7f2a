"""`opskit sandbox stop` then `start` keeps the Datadog endpoint's monitors and events, as it
keeps the AWS estate: the endpoint's state is saved beside moto's backends and handed back to
the next endpoint. Both endpoints are reached over HTTP; the saved file is the real one."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from dd_support import http, received_events, repo_config

from sandbox import persist
from sandbox.datadog.endpoint import DatadogEndpoint, start_datadog

MONITOR = {
    "name": "api cpu",
    "type": "metric alert",
    "query": "avg(last_5m):avg:aws.ecs.cpuutilization{service:api} > 80",
    "message": "hot",
    "options": {"thresholds": {"critical": 80, "warning": 70}},
}
META = {"moto": "test", "scale": "normal", "config": "test"}


def test_monitors_and_events_outlive_a_restart(tmp_path: Path) -> None:
    (tmp_path / "sandbox").mkdir()
    first = start_datadog(SimpleNamespace(config=repo_config()))
    writes: list[str | None] = []
    first.watch_writes(writes.append)
    try:
        status, kept, _ = http(first, "POST", "/api/v1/monitor", MONITOR)
        assert status == 200
        status, gone, _ = http(first, "POST", "/api/v1/monitor", {**MONITOR, "name": "gone"})
        assert http(first, "DELETE", f"/api/v1/monitor/{gone['id']}")[0] == 200
        event = {"title": "deployed", "text": "api 1.2", "tags": ["env:dev"]}
        assert http(first, "POST", "/api/v1/events", event)[0] == 202
        http(first, "GET", f"/api/v1/monitor/{kept['id']}")
        assert len(writes) == 4  # the saver hears of each change, not of reads
        events = received_events(first)
        persist.save(tmp_path, META, lambda: {"datadog": first.snapshot()})
    finally:
        first.stop()

    restored = persist.restore(tmp_path, META)
    second: DatadogEndpoint = start_datadog(SimpleNamespace(config=repo_config()))
    try:
        second.restore(restored.services["datadog"])
        status, listed, _ = http(second, "GET", "/api/v1/monitor")
        assert status == 200 and [m["id"] for m in listed] == [kept["id"]]
        assert http(second, "GET", f"/api/v1/monitor/{kept['id']}")[1] == kept
        assert received_events(second) == events
        status, new, _ = http(second, "POST", "/api/v1/monitor", {**MONITOR, "name": "new"})
        assert status == 200 and new["id"] > gone["id"]  # ids go on, never reused
        assert http(second, "POST", "/api/v1/events", event)[0] == 202
        ids = [e["id"] for e in received_events(second)]
        assert len(set(ids)) == len(ids) == len(events) + 1
    finally:
        second.stop()


def test_a_snapshot_for_another_estate_restores_nothing(tmp_path: Path) -> None:
    (tmp_path / "sandbox").mkdir()
    persist.save(tmp_path, META, lambda: {"datadog": {"monitors": {}, "events": []}})
    assert persist.restore(tmp_path, {**META, "scale": "large"}) == persist.Restored(0, {})
