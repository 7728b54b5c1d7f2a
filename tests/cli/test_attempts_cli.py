"""Every attempt is on the record: each kind of refusal or denial, run as a user runs
`opskit` against the sandbox, leaves one journal record saying who, where, what and why;
two applies of one plan are two entries of `audit log`."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess

from opskit.audit import Journal, changes, verify
from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "environments.toml"


def _opskit(state: Path, *args: str, config: Path = CONFIG) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(state), "OPSKIT_CONFIG": str(config)}
    return opskit_inprocess(env, *args)


@pytest.fixture
def state(sandbox: SandboxInfo, opskit_state_dir: Path) -> Path:
    return opskit_state_dir


def _config_with(tmp_path: Path, changes_section: str) -> Path:
    text = CONFIG.read_text().replace("[changes]\nread_only = false\n", changes_section)
    assert text != CONFIG.read_text()
    path = tmp_path / "environments.toml"
    path.write_text(text)
    return path


def _desired(alice: Any, env: str, cluster: str, service: str) -> int:
    """The service's desired count, read over HTTP with boto3 (not with opskit)."""
    ecs = alice.client("ecs", env=env)
    return int(
        ecs.describe_services(cluster=cluster, services=[service])["services"][0]["desiredCount"]
    )


def _only_new_record(state: Path, before: int) -> dict[str, Any]:
    journal = Journal(state / "journal.jsonl")
    records = list(journal.records())
    assert len(records) == before + 1, records[before:]
    assert verify(journal).ok
    return records[-1]


def _count(state: Path) -> int:
    return len(list(Journal(state / "journal.jsonl").records()))


def _assert_who_where_what(record: dict[str, Any], user: str, env: str, change: str) -> None:
    assert record["type"] == "outcome" and record["attempt_id"].startswith(record["change_id"])
    assert record["who"]["user"] == user and record["who"]["arn"].endswith(f":user/{user}")
    assert record["where"]["env"] == env and record["where"]["account_id"]
    assert record["where"]["role"].startswith("arn:aws:iam::")
    assert record["change"] == change and record["detail"]


@pytest.mark.parametrize(
    ("make_config", "args", "outcome", "why"),
    [
        (None, ("--user", "bob", "scale", "api", "3", "--env", "prod"), "denied", "bob may not"),
        (None, ("scale", "api", "3", "--env", "prod"), "refused", "--confirm prod"),
        (None, ("scale", "api", "3", "--env", "dev", "--access", "read"), "refused",
         "needs deploy"),
        ("[changes]\nread_only = true\n", ("scale", "api", "3", "--env", "dev"), "refused",
         "read-only"),
        (f'[changes]\nfreeze = {{ from = {dt.date.today()}, until = {dt.date.today()}, '
         'reason = "test freeze" }\n', ("scale", "api", "3", "--env", "dev"), "refused",
         "change freeze"),
    ],
)  # fmt: skip
def test_each_refusal_is_one_journal_record_with_its_reason(
    state: Path,
    tmp_path: Path,
    alice: Any,
    make_config: str | None,
    args: tuple[str, ...],
    outcome: str,
    why: str,
) -> None:
    config = _config_with(tmp_path, make_config) if make_config else CONFIG
    env = args[args.index("--env") + 1]
    desired = _desired(alice, env, "api", "api")
    before = _count(state)
    result = _opskit(state, *args, config=config)
    assert result.returncode == (4 if outcome == "denied" else 7), result.stderr
    assert why in result.stderr.strip().splitlines()[-1]
    record = _only_new_record(state, before)
    user = "bob" if "bob" in args else "alice"
    _assert_who_where_what(record, user, env, "scale")
    assert record["outcome"] == outcome and why in record["detail"]
    assert record["params"]["service"] == "api" and record["params"]["count"] == 3
    assert _desired(alice, env, "api", "api") == desired


def test_a_runbook_refused_before_its_kernel_is_on_the_record(state: Path) -> None:
    before = _count(state)
    result = _opskit(
        state, "runbook", "run", "scale", "--env", "prod", "-p", "service=api", "-p", "count=3",
        "--apply",
    )  # fmt: skip
    assert result.returncode == 7, result.stderr
    assert result.stderr.strip().endswith("(type the name, or pass --confirm prod)")
    record = _only_new_record(state, before)
    _assert_who_where_what(record, "alice", "prod", "runbook")
    assert record["outcome"] == "refused" and "prod is protected" in record["detail"]
    assert record["params"]["count"] == 3 and record["summary"].startswith("runbook scale")
    assert record["detail"].startswith("prod is protected: scale refused")


def test_two_applies_of_one_plan_are_two_entries(state: Path, tmp_path: Path, alice: Any) -> None:
    plan_file = tmp_path / "plan.json"
    desired = _desired(alice, "dev", "app", "app-web")
    target = 2 if desired != 2 else 1
    saved = _opskit(
        state, "scale", "app-web", str(target), "--env", "dev", "--plan-out", str(plan_file)
    )
    assert saved.returncode == 0, saved.stderr
    plan_id = json.loads(plan_file.read_text())["id"]
    first = _opskit(state, "apply", str(plan_file))
    assert first.returncode == 0, first.stderr
    second = _opskit(state, "apply", str(plan_file))
    assert second.returncode == 7 and "stale plan" in second.stderr
    listed = _opskit(state, "audit", "log", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    mine = [e for e in json.loads(listed.stdout) if e["plan_id"] == plan_id]
    assert [e["status"] for e in mine] == ["applied", "refused"]
    assert len({e["id"] for e in mine}) == 2
    shown = _opskit(state, "audit", "show", mine[0]["id"], "-o", "json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["status"] == "applied"
    entries = [
        e for e in changes(Journal(state / "journal.jsonl").records()) if e.plan_id == plan_id
    ]
    assert entries[0].intent is not None and entries[0].outcome is not None
    # the second attempt was refused before anything was touched: its own refused outcome
    assert entries[1].outcome is not None and entries[1].outcome["outcome"] == "refused"


def test_a_runbook_denied_before_its_kernel_is_on_the_record(state: Path) -> None:
    before = _count(state)
    result = _opskit(
        state, "--user", "bob", "runbook", "run", "scale", "--env", "stage", "-p", "service=api",
        "-p", "count=2", "--apply",
    )  # fmt: skip
    assert result.returncode == 4, result.stderr
    assert "bob may not enter stage" in result.stderr.strip().splitlines()[-1]
    record = _only_new_record(state, before)
    _assert_who_where_what(record, "bob", "stage", "runbook")
    assert record["outcome"] == "denied" and "bob may not enter stage" in record["detail"]
