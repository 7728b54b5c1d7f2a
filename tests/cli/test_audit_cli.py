"""`opskit audit log|show|verify` as a user runs them: the installed command, a journal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from opskit.audit import Actor, Journal, Origin, RunbookRun, change_record

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))


def _plan(change_id: str, env: str) -> dict[str, object]:
    return {
        "id": change_id,
        "change": "scale",
        "summary": f"scale api in {env}: 1 -> 2",
        "env": env,
        "account_id": "222222222222",
        "region": "eu-west-1",
        "access": "deploy",
        "diffs": [
            {
                "resource": f"{env}/ecs/service/api/api",
                "field": "desiredCount",
                "before": 1,
                "after": 2,
            }
        ],
        "params": {"service": "api", "count": 2},
        "created_at": "2026-01-01T00:00:00.000Z",
    }


def _journal(state: Path) -> Journal:
    journal = Journal(state / "journal.jsonl")
    actor = Actor("alice", "arn:aws:iam::111111111111:user/alice", "alice")
    run = Origin("runbook", RunbookRun("scale-api", "run-7", "cd" * 32, "/runs/run-7.ipynb"))
    for change_id, env in (("aaa111", "dev"), ("bbb222", "stage")):
        plan = _plan(change_id, env)
        journal.append(change_record("intent", plan, actor=actor, origin=run, role="r"))
        journal.append(
            change_record("outcome", plan, actor=actor, origin=run, role="r", outcome="applied")
        )
    journal.append(
        change_record("intent", _plan("ccc333", "dev"), actor=actor, origin=run, role="r")
    )
    return journal


def _opskit(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(state)}
    command = [OPSKIT, "--config", str(ROOT / "environments.toml"), *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60, check=False)


def test_log_show_and_verify(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    log = _opskit(tmp_path, "audit", "log", "--env", "dev", "--output", "json")
    assert log.returncode == 0, log.stderr
    rows = json.loads(log.stdout)
    assert [(r["id"], r["status"]) for r in rows] == [
        ("aaa111", "applied"),
        ("ccc333", "incomplete"),
    ]
    assert rows[0]["front_end"] == "runbook"
    show = _opskit(tmp_path, "audit", "show", "aaa", "--output", "json")
    assert show.returncode == 0, show.stderr
    detail = json.loads(show.stdout)
    assert [r["type"] for r in detail["records"]] == ["intent", "outcome"]
    assert detail["records"][0]["how"]["runbook"]["run_id"] == "run-7"
    ok = _opskit(tmp_path, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "5 records, chain intact" in ok.stdout
    assert "incomplete: change ccc333" in ok.stdout

    lines = journal.path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].replace('"stage"', '"dev"')
    journal.path.write_text("".join(lines))
    bad = _opskit(tmp_path, "audit", "verify")
    assert bad.returncode != 0
    assert "line 3: record 3 was edited" in bad.stderr


def test_show_an_unknown_change_is_a_usage_error(tmp_path: Path) -> None:
    _journal(tmp_path)
    result = _opskit(tmp_path, "audit", "show", "zzz")
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == "opskit: no change 'zzz' in the audit journal (see `opskit audit log`)"
    )
