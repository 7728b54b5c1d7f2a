"""The installed `opskit` maps every kind of failure through the one table (README "Exit codes")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opskit.errors import ExitCode, Interrupted, UsageError, exit_code_for

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPSKIT_CONFIG": str(ROOT / "environments.toml")}
    return subprocess.run(
        [OPSKIT, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option"],  # an unknown global option
        ["scale"],  # a missing argument
        ["no-such-command"],
    ],
)
def test_bad_command_line_is_usage_exit_2_without_traceback(args: list[str]) -> None:
    ran = _run(*args)
    assert ran.returncode == 2, ran.stderr
    assert "Traceback" not in ran.stderr
    assert "unexpected" not in ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("opskit: "), ran.stderr


def test_unknown_environment_is_one_line_exit_2() -> None:
    ran = _run("scale", "api", "2", "--env", "nowhere", "--dry-run")
    assert ran.returncode == 2, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("opskit: ") and "nowhere" in lines[0]


def test_version_exits_0() -> None:
    ran = _run("--version")
    assert (ran.returncode, ran.stdout.split()[0]) == (0, "opskit")


def test_the_one_table_maps_foreign_exceptions() -> None:
    assert exit_code_for(UsageError("x")) == 2
    assert exit_code_for(Interrupted("x")) == 130
    assert exit_code_for(KeyboardInterrupt()) == 130
    assert exit_code_for(ValueError("a bug")) == 1
    assert {int(c) for c in ExitCode} == {0, 1, 2, 3, 4, 5, 6, 7, 8, 130, 141}
