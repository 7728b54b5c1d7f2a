"""A saved plan of several services is applied as planning-and-applying at once would: one
service at a time, all or nothing, each with its own journal record pair.

What ran is read from the journal file and from ECS with boto3 as alice, not from opskit.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))
SERVICES = (("api", "api-worker"), ("app", "app-jobs"))


def _opskit(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPSKIT_STATE_DIR": str(state),
        "OPSKIT_CONFIG": str(ROOT / "environments.toml"),
    }
    return subprocess.run(
        [OPSKIT, *args], capture_output=True, text=True, env=env, timeout=300, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def _image(ecs: Any, cluster: str, name: str) -> str:
    [service] = ecs.describe_services(cluster=cluster, services=[name])["services"]
    td = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    return str(td["taskDefinition"]["containerDefinitions"][0]["image"])


@pytest.mark.slow
def test_a_saved_two_service_deploy_goes_one_service_at_a_time(
    sandbox: SandboxInfo, opskit_state_dir: Path, tmp_path: Path, aws_as: Callable[[str], Any]
) -> None:
    ecs = aws_as("alice").client("ecs", env="dev")
    before = {name: _image(ecs, cluster, name) for cluster, name in SERVICES}
    plan_file = tmp_path / "deploy.json"
    names = [name for _, name in SERVICES]
    saved = _opskit(
        opskit_state_dir, "deploy", *names, "--env", "dev", "--image", "7.7.7",
        "--plan-out", str(plan_file),
    )  # fmt: skip
    assert saved.returncode == 0, saved.stderr
    plan_id = json.loads(plan_file.read_text())["id"]
    try:
        applied = _opskit(opskit_state_dir, "apply", str(plan_file), "-o", "json")
        assert applied.returncode == 0, applied.stderr
        assert [r["outcome"] for r in json.loads(applied.stdout)["results"]] == ["applied"] * 2
        records = [
            json.loads(line)
            for line in (opskit_state_dir / "journal.jsonl").read_text().splitlines()
        ]
        ours = [r for r in records if str(r["change_id"]).startswith(plan_id)]
        # one intent and one outcome per service, under the plan's id suffixed 1 and 2
        assert sorted((r["change_id"], r["type"]) for r in ours) == [
            (f"{plan_id}1", "intent"), (f"{plan_id}1", "outcome"),
            (f"{plan_id}2", "intent"), (f"{plan_id}2", "outcome"),
        ]  # fmt: skip
        for cluster, name in SERVICES:
            assert _image(ecs, cluster, name).endswith(":7.7.7")
    finally:
        for _, name in SERVICES:
            tag = before[name].rsplit(":", 1)[-1]
            back = _opskit(opskit_state_dir, "deploy", name, "--env", "dev", "--image", tag)
            assert back.returncode == 0, back.stderr
