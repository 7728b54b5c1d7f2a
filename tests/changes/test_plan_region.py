"""A plan names the region it acts in: a change to a service in stage's second region is
planned (and signed, and journaled) for that region, not the environment's first.

The regions come from environments.toml read with tomllib, not from opskit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))


def _regions(env: str) -> list[str]:
    config = tomllib.loads((ROOT / "environments.toml").read_text())
    environment = config["environments"][env]
    return list(environment.get("regions") or [environment["region"]])


def _plan(sandbox_env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [OPSKIT, *args, "--dry-run", "-o", "json"],
        env=sandbox_env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    plan: dict[str, Any] = json.loads(done.stdout)["plan"]
    return plan


def test_a_plan_names_the_region_of_the_service_it_changes(
    sandbox: Any, sandbox_env: dict[str, str]
) -> None:
    first, second = _regions("stage")[:2]
    edge = _plan(sandbox_env, "scale", "edge-proxy", "5", "--env", "stage")
    assert edge["diffs"] and edge["region"] == second
    assert all(d["resource"].split("/")[3].startswith(f"{second}:") for d in edge["diffs"])
    api = _plan(sandbox_env, "scale", "api", "5", "--env", "stage")
    assert api["diffs"] and api["region"] == first
