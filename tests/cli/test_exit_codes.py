"""Issue 17's command lines, run as a user runs them (the installed `opskit`, a subprocess):
each ends with one line on stderr and the README's exit code, never "unexpected" (1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from opskit.audit import Actor, Journal, Origin, change_record
from opskit.errors import ExitCode, Interrupted, UsageError, exit_code_for

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))
USAGE = 2  # README: "usage: bad command line, bad parameter, unknown environment/service"
# README: a closed stdout ends quietly with 128 + SIGPIPE, what a shell reports for `git log`.
PIPE_CLOSED = 128 + signal.SIGPIPE


def opskit(
    state: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {**(env or os.environ), "OPSKIT_STATE_DIR": str(state)}
    command = [OPSKIT, "--config", str(ROOT / "environments.toml"), *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=environ, timeout=120, check=False
    )


def one_usage_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == USAGE, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("opskit: "), done.stderr
    assert "opskit: unexpected" not in lines[0] and "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["audit", "log", "--since", "99999999999w"], "--since '99999999999w'"),
        (["audit", "log", "--bogus"], "No such option: --bogus"),
        (["audit", "log", "-o", "yaml"], "'yaml' is not one of"),
        (["audit"], "a command is needed (log, show, verify, init, repair)"),
        ([], "Missing command"),
        (["scale"], "Missing argument"),
        (["deploy", "api", "--image", "1.0"], "Missing option '--env'"),
        (["config", "check", "extra"], "unexpected extra argument"),
        (["--no-such-option"], "No such option: --no-such-option"),
        (["no-such-command"], "No such command 'no-such-command'"),
    ],
    ids=[
        "since-overflow",
        "no-such-option",
        "bad-choice",
        "no-args-is-help",
        "no-command",
        "missing-argument",
        "missing-option",
        "extra-argument",
        "no-such-global-option",
        "no-such-command",
    ],
)
def test_bad_command_lines_are_usage_errors(tmp_path: Path, args: list[str], words: str) -> None:
    assert words in one_usage_line(opskit(tmp_path, *args))


def test_unknown_environment_is_one_line_exit_2(sandbox_env: dict[str, str]) -> None:
    state = Path(sandbox_env["OPSKIT_STATE_DIR"])  # the session's sandbox: none started here
    ran = opskit(state, "scale", "api", "2", "--env", "nowhere", "--dry-run", env=sandbox_env)
    assert ran.returncode == 2, ran.stderr
    lines = ran.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("opskit: ") and "nowhere" in lines[0]


def test_version_exits_0(tmp_path: Path) -> None:
    ran = opskit(tmp_path, "--version")
    assert (ran.returncode, ran.stdout.split()[0]) == (0, "opskit")


def test_the_one_table_maps_foreign_exceptions() -> None:
    assert exit_code_for(UsageError("x")) == 2
    assert exit_code_for(Interrupted("x")) == 130
    assert exit_code_for(KeyboardInterrupt()) == 130
    assert exit_code_for(ValueError("a bug")) == 1
    assert {int(c) for c in ExitCode} == {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 130, 141}


def test_apply_a_folder_is_a_usage_error(tmp_path: Path, sandbox_env: dict[str, str]) -> None:
    state = Path(sandbox_env["OPSKIT_STATE_DIR"])
    done = opskit(state, "apply", str(tmp_path), env=sandbox_env)
    assert "Is a directory" in one_usage_line(done)


def test_plan_out_to_a_folder_is_a_usage_error(tmp_path: Path, sandbox_env: dict[str, str]) -> None:
    state = Path(sandbox_env["OPSKIT_STATE_DIR"])
    done = opskit(
        state, "scale", "api", "2", "--env", "dev", "--plan-out", str(tmp_path), env=sandbox_env
    )
    assert "cannot write plan file" in one_usage_line(done)


def test_rollback_to_a_revision_that_does_not_exist(sandbox_env: dict[str, str]) -> None:
    state = Path(sandbox_env["OPSKIT_STATE_DIR"])
    done = opskit(
        state,
        "rollback",
        "api",
        "--env",
        "dev",
        "--revision",
        "999999",
        "--dry-run",
        env=sandbox_env,
    )
    assert "no ACTIVE revision" in one_usage_line(done)


def _big_journal(state: Path, changes: int) -> None:
    journal = Journal(state / "journal.jsonl")
    actor = Actor("alice", "arn:aws:iam::111111111111:user/alice", "alice")
    for n in range(changes):
        plan = {
            "id": f"c{n:06d}{'x' * 400}", "change": "scale", "summary": f"scale api {'!' * 400}",
            "env": "dev", "account_id": "222222222222", "region": "eu-west-1",
            "access": "deploy", "diffs": [], "params": {"count": n},
            "created_at": "2026-01-01T00:00:00.000Z",
        }  # fmt: skip
        journal.append(change_record("intent", plan, actor=actor, origin=Origin("cli"), role="r"))


@pytest.fixture(scope="module")
def big_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A state directory whose journal prints far more than a pipe holds (64 KiB)."""
    state = tmp_path_factory.mktemp("big-journal")
    _big_journal(state, 500)  # > 200 KB of output either way
    # this journal alone: the repository's config would read the team journal in S3
    local = [
        line
        for line in (ROOT / "environments.toml").read_text().splitlines()
        if not line.startswith(("s3_bucket", "kms_key_id"))
    ]
    (state / "environments.toml").write_text("\n".join(local) + "\n")
    return state


@pytest.mark.parametrize("args", [["audit", "log", "-o", "json"], ["audit", "verify"]])
def test_a_closed_pipe_ends_quietly(big_journal: Path, args: list[str]) -> None:
    """`opskit audit log -o json | head -1`: the reader goes away after one line."""
    command = [OPSKIT, "--config", str(big_journal / "environments.toml"), *args]
    env = {**os.environ, "OPSKIT_STATE_DIR": str(big_journal)}
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True
    ) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()  # what `head -1` does after its line
        stderr = proc.stderr.read()
        code = proc.wait(timeout=120)
    assert (code, stderr) == (PIPE_CLOSED, "")
