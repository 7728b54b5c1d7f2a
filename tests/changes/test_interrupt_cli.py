"""SIGTERM and SIGINT during a change, as a user (or a CI runner) sends them to the
installed `opskit`: the journal gets an `interrupted` outcome holding the live state read
back from ECS at that moment, and a second Ctrl-C leaves at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opskit.audit import ChangeEntry, Journal, changes, verify
from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))
DEV = "222222222222"


def _start(state: Path, service: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "OPSKIT_STATE_DIR": str(state),
        "OPSKIT_CONFIG": str(ROOT / "environments.toml"),
    }
    tag = f"7.{uuid.uuid4().int % 10_000}.0"
    command = [OPSKIT, "deploy", service, "--env", "dev", "--image", tag]
    return subprocess.Popen(
        command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _until(child: subprocess.Popen[str], text: str, seen: list[str]) -> None:
    """Read the child's stderr until a line holding ``text`` (the deployment is rolling)."""
    assert child.stderr is not None
    for line in child.stderr:
        seen.append(line)
        if text in line:
            return
    pytest.fail(f"never saw {text!r}: {''.join(seen)}")


def _new_entry(journal: Journal, known: set[str]) -> ChangeEntry:
    (entry,) = [e for e in changes(journal.records()) if e.change_id not in known]
    return entry


@pytest.fixture
def state(sandbox: SandboxInfo, opskit_state_dir: Path) -> Iterator[Path]:
    yield opskit_state_dir


def _check_live_state(entry: ChangeEntry, service: str) -> dict[str, Any]:
    assert entry.intent is not None and entry.outcome is not None
    assert entry.status == "interrupted"
    data = entry.outcome["data"]
    (live,) = data["services"].values()
    assert isinstance(live["desired"], int) and isinstance(live["running"], int)
    assert live["deployments"], live
    new = entry.intent["what"]["diffs"][1]["after"]
    assert any(d["taskDefinition"] == live["taskDefinition"] for d in live["deployments"])
    assert data["diffs"][f"dev/ecs/service/app/{service}#image:{service}"] == new
    return data  # type: ignore[no-any-return]


@pytest.mark.slow
def test_sigterm_mid_deploy_journals_interrupted_with_the_live_state(
    state: Path, sandbox_faults: Any
) -> None:
    journal = Journal(state / "journal.jsonl")
    known = {e.change_id for e in changes(journal.records())}
    child, seen = _start(state, "integrations"), list[str]()
    try:
        _until(child, "older deployment", seen)  # the rollout is under way
        # Slow ECS reads from now on so the rollout cannot finish before the signal lands.
        sandbox_faults.set(
            service="ecs", operation="DescribeServices", kind="latency", delay_ms=300, account=DEV
        )
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, "".join(seen) + err
    assert "interrupted by SIGTERM" in err and "Traceback" not in err
    entry = _new_entry(journal, known)
    assert "SIGTERM" in entry.outcome["detail"]  # type: ignore[index]
    _check_live_state(entry, "integrations")
    assert verify(journal).ok


def test_sigint_journals_interrupted_and_a_second_one_leaves_at_once(
    state: Path, sandbox_faults: Any
) -> None:
    journal = Journal(state / "journal.jsonl")
    known = {e.change_id for e in changes(journal.records())}
    child, seen = _start(state, "app-jobs"), list[str]()
    try:
        _until(child, "older deployment", seen)  # the rollout is under way
        # Reading the live state will take 20 s: a second Ctrl-C must not wait for it.
        sandbox_faults.set(
            service="ecs", operation="DescribeServices", kind="latency", delay_ms=20_000,
            account=DEV,
        )  # fmt: skip
        child.send_signal(signal.SIGINT)
        _until(child, "recording the live state", seen)
        clock = time.monotonic()
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
        left_after = time.monotonic() - clock
    finally:
        child.kill()
    assert child.returncode == 130, "".join(seen) + err
    assert left_after < 5, left_after
    entry = _new_entry(journal, known)
    assert entry.status == "interrupted"
    assert "SIGINT" in entry.outcome["detail"]  # type: ignore[index]
    assert "interrupted again" in entry.outcome["data"]["unread"]  # type: ignore[index]
    assert verify(journal).ok


def test_sigint_once_journals_the_live_state(state: Path, sandbox_faults: Any) -> None:
    journal = Journal(state / "journal.jsonl")
    known = {e.change_id for e in changes(journal.records())}
    child, seen = _start(state, "billing"), list[str]()
    try:
        _until(child, "older deployment", seen)  # the rollout is under way
        sandbox_faults.set(
            service="ecs", operation="DescribeServices", kind="latency", delay_ms=300, account=DEV
        )
        child.send_signal(signal.SIGINT)
        _, err = child.communicate(timeout=60)
    finally:
        child.kill()
    assert child.returncode == 130, "".join(seen) + err
    assert "interrupted by SIGINT" in err and "Traceback" not in err
    _check_live_state(_new_entry(journal, known), "billing")
