"""A journal torn by a crash, as a user meets it: every change fails until `opskit audit
repair` seals it, then the next change succeeds and the chain verifies."""

from __future__ import annotations

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


def _opskit(state: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(state), "OPSKIT_CONFIG": str(config)}
    return opskit_inprocess(env, *args)


@pytest.mark.slow
def test_a_torn_last_line_is_repaired_and_the_next_change_succeeds(
    sandbox: SandboxInfo, opskit_state_dir: Path, tmp_path: Path, alice: Any
) -> None:
    journal_path = tmp_path / "journal.jsonl"
    text = (ROOT / "environments.toml").read_text()
    config = tmp_path / "environments.toml"
    # a local journal: this test is about the file a crash tore (the team copy is S3's)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("s3_bucket"))
    config.write_text(text.replace("[audit]\n", f'[audit]\njournal = "{journal_path}"\n', 1))
    ecs = alice.client("ecs", env="dev")

    def desired() -> int:
        found = ecs.describe_services(cluster="app", services=["app-web"])["services"]
        return int(found[0]["desiredCount"])

    start = desired()
    first = _opskit(opskit_state_dir, config, "scale", "app-web", str(3 - start), "--env", "dev")
    assert first.returncode == 0, first.stderr
    whole = journal_path.read_bytes()
    journal_path.write_bytes(whole[:-30])  # the outcome's write was cut short by a crash

    blocked = _opskit(opskit_state_dir, config, "scale", "app-web", str(start), "--env", "dev")
    assert blocked.returncode == 1 and "opskit audit repair" in blocked.stderr
    told = [ln for ln in blocked.stderr.strip().splitlines() if not ln.startswith("  note: ")]
    assert len(told) == 2, blocked.stderr  # the plan line (and its notes), then the one error
    assert desired() == 3 - start  # nothing touched: the intent could not be written

    repaired = _opskit(opskit_state_dir, config, "audit", "repair", "-o", "json")
    assert repaired.returncode == 0, repaired.stderr
    report = json.loads(repaired.stdout)
    assert (
        report["repaired"]
        and report["torn_bytes"] == len(whole) - 30 - whole.rfind(b"\n", 0, len(whole) - 1) - 1
    )

    again = _opskit(opskit_state_dir, config, "scale", "app-web", str(start), "--env", "dev")
    assert again.returncode == 0, again.stderr
    assert desired() == start
    checked = _opskit(opskit_state_dir, config, "audit", "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    journal = Journal(journal_path)
    assert verify(journal).ok
    statuses = [e.status for e in changes(journal.records())]
    assert statuses == ["incomplete", "truncated", "applied"]
    nothing = _opskit(opskit_state_dir, config, "audit", "repair")
    assert nothing.returncode == 0 and "nothing to repair" in nothing.stdout
