"""The change commands as a user runs them: the installed `opskit`, against the sandbox."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from opskit.audit import Journal, changes, verify
from opskit.changes import Engine
from opskit.changes.service_changes import ScaleChange
from opskit.workspace import Workspace
from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))


def _command(state: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = {
        **os.environ,
        "OPSKIT_STATE_DIR": str(state),
        "OPSKIT_CONFIG": str(ROOT / "environments.toml"),
    }
    return [OPSKIT, *args], env


def _opskit(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command, env = _command(state, *args)
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def state(sandbox: SandboxInfo, opskit_state_dir: Path) -> Path:
    return opskit_state_dir


@pytest.mark.slow
def test_plan_out_then_apply_and_dry_run_json(
    state: Path, tmp_path: Path, workspace: Callable[..., Workspace], alice: Any
) -> None:
    ecs = alice.client("ecs", env="dev")
    [service] = ecs.describe_services(cluster="app", services=["app-web"])["services"]
    before = service["desiredCount"]  # as other tests left it: put back at the end
    plan_file = tmp_path / "scale.json"
    wanted = "1" if before == 2 else "2"
    saved = _opskit(state, "scale", "app-web", wanted, "--env", "dev", "--plan-out", str(plan_file))
    assert saved.returncode == 0, saved.stderr
    assert "desiredCount" in saved.stdout and f"opskit apply {plan_file}" in saved.stderr
    applied = _opskit(state, "apply", str(plan_file), "-o", "json")
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["result"]["outcome"] == "applied"
    again = _opskit(state, "apply", str(plan_file))
    assert again.returncode == 7 and "stale plan" in again.stderr
    dry = _opskit(
        state, "deploy", "app-web", "--env", "dev", "--image", "6.0.0", "--dry-run", "-o", "json"
    )
    assert dry.returncode == 0, dry.stderr
    planned = json.loads(dry.stdout)
    assert planned["result"] is None
    assert planned["plan"]["diffs"][1]["after"] == "ghcr.io/acme/app-web:6.0.0"
    engine = Engine.from_workspace(workspace())
    assert engine.apply(engine.plan(ScaleChange("dev", "app-web", before))).ok


def test_prod_needs_confirm_when_not_interactive(state: Path) -> None:
    refused = _opskit(state, "elb", "draining", "--env", "prod", "--seconds", "30")
    assert refused.returncode == 7
    assert refused.stderr.strip().endswith("(type the name, or pass --confirm prod)")


def test_bad_inputs_are_one_line_usage_errors(state: Path) -> None:
    for args, says in (
        (("scale", "api", "99", "--env", "dev"), "outside the configured bounds"),
        (("deploy", "nope", "--env", "dev", "--image", "1"), "service 'nope' not found in dev"),
        (("dns", "shift", "www", "--to", "new", "--steps", "50,5"), "rising percents"),
    ):
        result = _opskit(state, *args)
        assert result.returncode == 2, (args, result.stderr)
        assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_sigkill_mid_apply_leaves_a_verifying_journal_and_an_incomplete_change(
    state: Path, alice: Any
) -> None:
    journal = Journal(state / "journal.jsonl")
    known = {e.change_id for e in changes(journal.records())}
    command, env = _command(state, "deploy", "app-jobs", "--env", "dev", "--image", "5.12.7")
    child = subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            new = [e for e in changes(journal.records()) if e.change_id not in known]
            if (new and new[0].intent is not None) or child.poll() is not None:
                break
            time.sleep(0.02)
        assert child.poll() is None, "the deploy ended before it could be killed"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(10)
        # A killed process cannot release its team lease: it stays until it expires (as on
        # AWS). Drop it by hand so later tests need not wait out the lease.
        alice.client("s3").delete_object(
            Bucket="acme-opskit-audit", Key="opskit/locks/dev/ecs/service/app/app-jobs.json"
        )
    assert verify(journal).ok
    (entry,) = [e for e in changes(journal.records()) if e.change_id not in known]
    assert entry.status == "incomplete"
    listed = _opskit(state, "audit", "verify")
    assert listed.returncode == 0 and f"incomplete: change {entry.change_id}" in listed.stdout
