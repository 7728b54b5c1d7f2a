"""Reading the journal back as changes; where a change came from."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opskit.audit import (
    Actor,
    Journal,
    Origin,
    change_record,
    changes,
    find_change,
    origin_from_environ,
    parse_since,
)
from opskit.errors import UsageError

PLAN = {
    "id": "abc123def456",
    "change": "scale",
    "summary": "scale api in dev: 1 -> 2",
    "env": "dev",
    "account_id": "222222222222",
    "region": "eu-west-1",
    "access": "deploy",
    "diffs": [],
    "params": {},
    "created_at": "2026-01-01T00:00:00.000Z",
}


def test_changes_group_intent_and_outcome_and_show_incomplete(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    actor, origin, role = Actor("alice"), Origin(), "arn:role"
    journal.append(change_record("intent", PLAN, actor=actor, origin=origin, role=role))
    journal.append(
        change_record("outcome", PLAN, actor=actor, origin=origin, role=role, outcome="applied")
    )
    crashed = {**PLAN, "id": "fff000", "env": "prod"}
    journal.append(change_record("intent", crashed, actor=actor, origin=origin, role=role))
    entries = changes(journal.records())
    assert [(e.change_id, e.status) for e in entries] == [
        ("abc123def456", "applied"),
        ("fff000", "incomplete"),
    ]
    assert [e.change_id for e in changes(journal.records(), env="prod")] == ["fff000"]
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    assert changes(journal.records(), since=future) == []
    assert find_change(entries, "abc").change_id == "abc123def456"
    with pytest.raises(UsageError, match="no change 'zzz'"):
        find_change(entries, "zzz")


def test_origin_from_runbook_variables() -> None:
    assert origin_from_environ("tui", {}) == Origin("tui")
    origin = origin_from_environ(
        "notebook",
        {
            "OPSKIT_RUNBOOK": "deploy",
            "OPSKIT_RUN_ID": "r1",
            "OPSKIT_NOTEBOOK_SHA256": "ab",
            "OPSKIT_ARCHIVE_PATH": "/a.ipynb",
        },
    )
    assert origin.front_end == "runbook" and origin.runbook is not None
    assert (origin.runbook.name, origin.runbook.run_id) == ("deploy", "r1")
    assert Origin.from_json(origin.to_json()) == origin


def test_parse_since() -> None:
    now = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    assert parse_since("2h", now) == now - dt.timedelta(hours=2)
    assert parse_since("2026-01-01", now) == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with pytest.raises(UsageError, match="--since 'soon'"):
        parse_since("soon", now)
