"""`opskit audit log|show|verify|init` as a user runs them: the installed command, a journal.

The local-only tests use a copy of environments.toml without the team journal; the team
tests use a copy with their own key prefix in the sandbox's audit bucket."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
import uuid
from pathlib import Path
from typing import Any

from cli_inprocess import opskit_inprocess

from opskit.audit import Actor, Journal, Origin, RunbookRun, change_record
from opskit.audit.signing import HmacSigner

ROOT = Path(__file__).resolve().parents[2]


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
    journal = Journal(state / "journal.jsonl", signer=HmacSigner.from_state_dir(state))
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


def _local_config(where: Path) -> Path:
    """environments.toml without the team journal (the local-only journal)."""
    text = (ROOT / "environments.toml").read_text()
    kept = [line for line in text.splitlines() if not line.startswith(("s3_bucket", "kms_key_id"))]
    path = where / "local-only.toml"
    path.write_text("\n".join(kept) + "\n")
    return path


def _opskit(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(state)}
    return opskit_inprocess(env, "--config", str(_local_config(state)), *args)


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


def _team_config(where: Path, prefix: str) -> Path:
    """environments.toml with this test's own prefix and local journal."""
    text = (ROOT / "environments.toml").read_text()
    text = text.replace('prefix = "opskit/"', f'prefix = "{prefix}"')
    text = text.replace("[audit]\n", f'[audit]\njournal = "{where / "journal.jsonl"}"\n', 1)
    path = where / "team.toml"
    path.write_text(text)
    return path


def _team_opskit(env: dict[str, str], config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(env, "--config", str(config), *args)


def test_team_verify_and_log_read_the_bucket(
    sandbox_env: dict[str, str], opskit_state_dir: Path, tmp_path: Path
) -> None:
    from opskit.audit.setup import open_journal
    from opskit.config import load_config
    from opskit.workspace import open_workspace

    prefix = f"cli-{uuid.uuid4().hex[:8]}/"
    config = load_config(_team_config(tmp_path, prefix))
    bob_state = tmp_path / "bob-laptop"
    for user, state, change_id in (("bob", bob_state, "bob001"), ("alice", None, "ali002")):
        ws = open_workspace(config=config, user=user)
        here = state or opskit_state_dir
        journal_file = here / "journal.jsonl" if state else tmp_path / "journal.jsonl"
        journal = open_journal(config, ws.accounts, here, journal_file)
        plan = _plan(change_id, "dev")
        who = Actor(user, f"arn:aws:iam::111111111111:user/{user}", user)
        journal.append(change_record("intent", plan, actor=who, origin=Origin(), role="r"))
        outcome = change_record(
            "outcome", plan, actor=who, origin=Origin(), role="r", outcome="applied"
        )
        journal.append(outcome)
    config_path = tmp_path / "team.toml"
    ok = _team_opskit(sandbox_env, config_path, "audit", "verify")
    assert ok.returncode == 0, ok.stderr
    assert "2 records, chain intact" in ok.stdout  # alice's own two, locally
    assert "s3://acme-opskit-audit: 4 team records, chain intact and signed" in ok.stdout
    log = _team_opskit(sandbox_env, config_path, "audit", "log", "-o", "json")
    assert log.returncode == 0, log.stderr
    rows = json.loads(log.stdout)
    assert [(r["id"], r["user"], r["status"]) for r in rows] == [
        ("bob001", "bob", "applied"),
        ("ali002", "alice", "applied"),
    ]
    (tmp_path / "journal.jsonl").unlink()
    (tmp_path / "journal.jsonl.head").unlink()
    bad = _team_opskit(sandbox_env, config_path, "audit", "verify")
    assert bad.returncode == 1, bad.stderr
    assert bad.stderr.strip() == (
        "opskit: audit journal verification failed: team record 3, written here as local "
        "record 1, is missing from the local journal journal.jsonl (deleted locally)"
    )
    assert "team record 4, written here as local record 2" in bad.stdout


def test_audit_init_creates_a_locked_versioned_bucket_and_key(
    sandbox_env: dict[str, str], alice: Any
) -> None:
    suffix = uuid.uuid4().hex[:8]
    bucket, alias = f"team-audit-{suffix}", f"alias/opskit-audit-{suffix}"
    config = ROOT / "environments.toml"
    args = ["audit", "init", "--bucket", bucket, "--retention-days", "7", "--kms-alias", alias]
    done = _team_opskit(sandbox_env, config, *args)
    assert done.returncode == 0, done.stderr
    s3, kms = alice.client("s3"), alice.client("kms")
    lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("COMPLIANCE", 7)
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert (key["KeySpec"], key["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    printed = done.stdout[done.stdout.index("[audit]") :]
    audit = tomllib.loads(printed)["audit"]
    assert audit == {
        "s3_bucket": bucket,
        "prefix": "opskit/",
        "retention_days": 7,
        "kms_key_id": alias,
    }
    again = _team_opskit(sandbox_env, config, *args)
    assert again.returncode == 0 and f"s3://{bucket}: exists" in again.stdout


def test_audit_init_refuses_a_bad_bucket_name(sandbox_env: dict[str, str]) -> None:
    done = _team_opskit(
        sandbox_env, ROOT / "environments.toml", "audit", "init", "--bucket", "Bad_Name"
    )
    assert done.returncode == 2
    assert done.stderr.strip().startswith("opskit: --bucket 'Bad_Name' / --prefix 'opskit/'")
    assert len(done.stderr.strip().splitlines()) == 1
