"""Change events: one per journaled outcome, with tags and ids; the outbox when Datadog is down."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from dd_support import engine, received_events, repo_config, wired

from opskit.audit import Journal, changes
from opskit.changes.datadog_notifier import change_event
from opskit.changes.monitors import MonitorsChange
from opskit.config import Config
from opskit.datadog.client import DatadogClient
from opskit.datadog.events import post_change_event
from opskit.datadog.outbox import Outbox
from sandbox.datadog.endpoint import DatadogEndpoint


def _dead_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_each_change_posts_one_event_with_tags_and_ids(
    tmp_path: Path, config: Config, endpoint: DatadogEndpoint
) -> None:
    eng = engine(tmp_path, config)
    eng.apply(eng.plan(MonitorsChange("dev")))
    eng.apply(eng.plan(MonitorsChange("stage")))

    events = received_events(endpoint)
    outcomes = [r for r in Journal(tmp_path / "journal.jsonl").records() if r["type"] == "outcome"]
    assert len(events) == len(outcomes) == 2
    for event, record in zip(events, outcomes, strict=True):
        assert event["api"] == "v2"
        attributes = event["body"]["data"]["attributes"]
        env, account = record["where"]["env"], record["where"]["account_id"]
        tags = set(attributes["tags"])
        assert {
            f"env:{env}",
            f"account:{account}",
            "actor:alice",
            "service:api",
            "service:billing",
            "change:datadog-monitors",
            "outcome:applied",
        } <= tags
        assert attributes["category"] == "change"
        custom = attributes["attributes"]
        assert custom["author"] == {"name": "alice", "type": "user"}
        assert custom["change_metadata"]["journal"] == {
            "change_id": record["change_id"],
            "seq": record["seq"],
            "hash": record["hash"],
        }
        key = f"{env}/datadog/monitor/{env}.api.cpu#monitor"
        assert custom["prev_value"][key] is None
        assert custom["new_value"][key]["critical"] == 90
        assert record["change_id"] in attributes["message"]


def test_endpoint_down_events_wait_in_the_outbox_until_flushed(
    tmp_path: Path, endpoint: DatadogEndpoint
) -> None:
    dead = _dead_url()
    eng = engine(tmp_path, wired(repo_config(), endpoint.url), events_url=dead)
    result = eng.apply(eng.plan(MonitorsChange("dev")))  # monitors reachable, events not

    assert result.outcome == "applied"
    assert [e.status for e in changes(Journal(tmp_path / "journal.jsonl").records())] == ["applied"]
    assert received_events(endpoint) == []
    outbox = Outbox(tmp_path)
    assert len(outbox.pending()) == 1
    assert (outbox.pending()[0].stat().st_mode & 0o777) == 0o600

    down = DatadogClient.from_settings(wired(repo_config(), dead).datadog)
    failed = outbox.flush(lambda e: post_change_event(down, e))
    assert failed.sent == 0 and failed.waiting == 1 and "unreachable" in (failed.error or "")

    client = DatadogClient.from_settings(wired(repo_config(), endpoint.url).datadog)
    report = outbox.flush(lambda e: post_change_event(client, e))
    assert (report.sent, report.waiting, report.error) == (1, 0, None)
    assert outbox.pending() == []
    [event] = received_events(endpoint)
    assert "env:dev" in event["body"]["data"]["attributes"]["tags"]


def test_a_later_successful_post_sends_what_waits(
    tmp_path: Path, endpoint: DatadogEndpoint
) -> None:
    config = wired(repo_config(), endpoint.url)
    down = engine(tmp_path, config, events_url=_dead_url())
    down.apply(down.plan(MonitorsChange("dev")))
    assert len(Outbox(tmp_path).pending()) == 1
    up = engine(tmp_path, config)
    up.apply(up.plan(MonitorsChange("stage")))
    assert Outbox(tmp_path).pending() == []
    assert len(received_events(endpoint)) == 2


def test_without_an_application_key_events_fall_back_to_v1(
    tmp_path: Path, endpoint: DatadogEndpoint
) -> None:
    config = wired(repo_config(), endpoint.url, app_key=None)
    client = DatadogClient.from_settings(config.datadog)
    from opskit.datadog.events import ChangeEvent

    event = ChangeEvent(
        title="t",
        message="m",
        tags=["env:dev"],
        resource="api",
        author="alice",
        outcome="failed",
        record_id="abc123",
        before={"a": 1},
        after={"a": 2},
    )
    assert post_change_event(client, event) == "v1"
    [received] = received_events(endpoint)
    assert received["api"] == "v1" and received["body"]["alert_type"] == "error"
    assert received["body"]["aggregation_key"] == "abc123"
    assert '"a": 1' in received["body"]["text"] and '"a": 2' in received["body"]["text"]


def _record(
    change: str, params: dict[str, Any], resources: list[str], **extra: Any
) -> dict[str, Any]:
    return {
        "change_id": "c0ffee",
        "change": change,
        "summary": f"{change} in prod",
        "seq": 9,
        "hash": "ab" * 32,
        "outcome": "applied",
        "detail": "ok",
        "params": params,
        "who": {"user": "bob"},
        "how": {"front_end": "runbook", "runbook": {"name": "drain"}},
        "where": {"env": "prod", "account_id": "444444444444", "region": "eu-west-1"},
        "what": {
            "diffs": [{"resource": r, "field": "f", "before": 1, "after": 2} for r in resources]
        },
        **extra,
    }


@pytest.mark.parametrize(
    ("change", "params", "resources", "services"),
    [
        ("scale", {"service": "api/api", "count": 2}, ["prod/ecs/service/api/api"], ["api"]),
        ("deploy", {"services": ["api", "billing"]}, [], ["api", "billing"]),
        (
            "draining",
            {"seconds": 60},
            [
                "prod/elbv2/targetgroup/prod-api",
                "prod/elbv2/targetgroup/prod-billing",
                "prod/elbv2/targetgroup/legacy-thing",
            ],
            ["api", "billing"],
        ),
        ("traffic-shift", {"name": "www"}, ["prod/route53/zone/www/new"], ["app-web"]),
    ],
)
def test_events_name_the_services_every_kind_of_change_touches(
    change: str, params: dict[str, Any], resources: list[str], services: list[str]
) -> None:
    event = change_event(_record(change, params, resources), repo_config())
    assert sorted(t[8:] for t in event.tags if t.startswith("service:")) == services
    assert {"env:prod", "account:444444444444", "actor:bob", f"change:{change}"} <= set(event.tags)
    assert "via runbook (runbook drain)" in event.message
    assert event.journal == {"change_id": "c0ffee", "seq": 9, "hash": "ab" * 32}


def test_big_before_and_after_point_to_the_journal() -> None:
    resources = [f"prod/datadog/monitor/m{i}" for i in range(3000)]
    event = change_event(_record("datadog-monitors", {}, resources), repo_config())
    assert 0 < len(event.before) < 3000 and "opskit audit show c0ffee" in event.before["…"]


def test_a_damaged_outbox_file_is_set_aside_not_blocking(tmp_path: Path) -> None:
    from opskit.datadog.events import ChangeEvent

    outbox = Outbox(tmp_path)
    (outbox.path.parent).mkdir(parents=True, exist_ok=True)
    outbox.path.mkdir(exist_ok=True)
    (outbox.path / "00000000000000000001-bad.json").write_text("{not json")
    outbox.put(
        ChangeEvent(
            title="t",
            message="m",
            tags=["env:dev"],
            resource="api",
            author="alice",
            outcome="applied",
            record_id="r1",
        )
    )
    sent: list[str] = []
    report = outbox.flush(lambda event: sent.append(event.record_id))
    assert sent == ["r1"] and report.sent == 1 and len(report.damaged) == 1
    assert outbox.pending() == [] and Path(report.damaged[0]).exists()
