"""The sandbox process: idempotent and race-safe start, stale state, stopping only its own,
failure reporting, reset, and the `opskit sandbox` commands as subprocesses.

Extra sandboxes here run "bare" (identities only) from a one-environment config: the
process machinery is the same, and each costs ~2 s instead of a full estate.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest

from opskit.errors import AwsError
from sandbox.process import ensure_running, health, reset, status, stop
from sandbox.state import SandboxInfo, read_state, state_path, write_state

OPSKIT = str(Path(sys.executable).parent / "opskit")
MINI_CONFIG = """
[ops]
account_id = "111111111111"
region = "eu-west-1"
login = "sandbox"

[access]
read = "opskit-read"
admin = "opskit-admin"

[environments.dev]
account_id = "222222222222"
regions = ["eu-west-1"]

[sandbox]
enabled = true
"""


@pytest.fixture
def mini_config(tmp_path: Path) -> Path:
    path = tmp_path / "environments.toml"
    path.write_text(MINI_CONFIG)
    return path


def servers_for(state_dir: Path) -> list[int]:
    """Pids of sandbox servers started for ``state_dir`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"sandbox.server" in words and str(state_dir).encode() in words:
            found.append(int(entry.name))
    return found


def fake_state(state_dir: Path, pid: int) -> None:
    """A state file naming ``pid``, on a port nothing listens on."""
    info = SandboxInfo(
        pid=pid,
        port=9,
        endpoint_url="http://127.0.0.1:9",
        started_at="2026-01-01T00:00:00+00:00",
        config_path="x",
        state_dir=str(state_dir),
        region="eu-west-1",
        token="t",
    )
    write_state(state_dir, info)


def test_start_is_idempotent(sandbox: SandboxInfo, opskit_state_dir: Path) -> None:
    again = ensure_running(sandbox.config_path, opskit_state_dir)
    assert (again.pid, again.endpoint_url) == (sandbox.pid, sandbox.endpoint_url)
    assert status(opskit_state_dir) == sandbox
    assert servers_for(opskit_state_dir.resolve()) == [sandbox.pid]


def test_state_file_is_private_and_holds_the_users_keys(
    sandbox: SandboxInfo, opskit_state_dir: Path
) -> None:
    path = state_path(opskit_state_dir)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    stored = json.loads(path.read_text())
    assert stored["users"]["alice"]["secret_access_key"] == sandbox.user("alice").secret_access_key
    shown = json.dumps(sandbox.public())
    assert sandbox.user("alice").secret_access_key not in shown
    assert sandbox.user("alice").access_key_id not in shown and sandbox.token not in shown


def test_concurrent_starts_give_one_process_and_stop_stops_only_it(
    mini_config: Path, tmp_path: Path, sandbox: SandboxInfo
) -> None:
    state_dir = (tmp_path / "state").resolve()
    code = (
        "import sys; from sandbox.process import ensure_running;"
        "print(ensure_running(sys.argv[1], sys.argv[2], bare=True).pid)"
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(mini_config), str(state_dir)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    pids = {int(racer.communicate(timeout=120)[0]) for racer in racers}
    assert len(pids) == 1 and servers_for(state_dir) == list(pids)

    assert stop(state_dir) is True
    assert servers_for(state_dir) == [] and read_state(state_dir) is None
    answer = health(sandbox.endpoint_url)  # the session's sandbox is untouched
    assert answer is not None and answer["pid"] == sandbox.pid


def test_a_stale_state_file_is_cleaned(tmp_path: Path) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    fake_state(tmp_path, gone.pid)
    assert status(tmp_path) is None
    assert not state_path(tmp_path).exists()


def test_stop_spares_a_process_that_is_not_its_server(tmp_path: Path) -> None:
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        fake_state(tmp_path, stranger.pid)
        assert stop(tmp_path) is False
        assert stranger.poll() is None  # still running
        assert not state_path(tmp_path).exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_the_sandbox_ends_with_its_owner(mini_config: Path, tmp_path: Path) -> None:
    owner = subprocess.Popen(["sleep", "60"])
    info = ensure_running(mini_config, tmp_path, owner_pid=owner.pid, bare=True)
    owner.kill()
    owner.wait()
    deadline = time.monotonic() + 15
    while servers_for(tmp_path.resolve()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers_for(tmp_path.resolve()) == []
    assert health(info.endpoint_url) is None and read_state(tmp_path) is None


def test_a_failed_start_says_why_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "environments.toml"
    broken.write_text(MINI_CONFIG.replace('region = "eu-west-1"', 'region = "moon-base-1"'))
    with pytest.raises(AwsError) as failed:
        ensure_running(broken, tmp_path / "state", bare=True)
    message = str(failed.value)
    assert "\n" not in message and message.startswith("sandbox failed: ConfigError")
    assert "ops.region" in message and "server.log" in message


def test_reset_gives_a_freshly_seeded_sandbox(mini_config: Path, tmp_path: Path) -> None:
    def admin_iam(info: SandboxInfo) -> Any:
        alice = info.user("alice")
        sts = boto3.client(
            "sts", region_name=info.region, endpoint_url=info.endpoint_url,
            aws_access_key_id=alice.access_key_id, aws_secret_access_key=alice.secret_access_key,
        )  # fmt: skip
        creds = sts.assume_role(RoleArn=info.roles["dev"]["admin"], RoleSessionName="alice")
        c = creds["Credentials"]
        return boto3.client(
            "iam", region_name=info.region, endpoint_url=info.endpoint_url,
            aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
            aws_session_token=c["SessionToken"],
        )  # fmt: skip

    first = ensure_running(mini_config, tmp_path, bare=True)
    admin_iam(first).create_user(UserName="scratch")
    second = reset(mini_config, tmp_path, bare=True)
    try:
        assert second.pid != first.pid and health(first.endpoint_url) is None
        assert second.user("alice").access_key_id != first.user("alice").access_key_id
        users = [u["UserName"] for u in admin_iam(second).list_users()["Users"]]
        assert "scratch" not in users and "opskit-sandbox" in users
    finally:
        stop(tmp_path)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OPSKIT, *args], env=env, capture_output=True, text=True, timeout=300)


def test_cli_status_and_start_show_the_running_sandbox(
    sandbox: SandboxInfo, sandbox_env: dict[str, str]
) -> None:
    shown = run_cli("sandbox", "status", "--output", "json", env=sandbox_env)
    assert shown.returncode == 0, shown.stderr
    data = json.loads(shown.stdout)
    assert data["pid"] == sandbox.pid and data["accounts"]["prod"] == "444444444444"
    assert sandbox.user("alice").secret_access_key not in shown.stdout
    started = run_cli("sandbox", "start", "-o", "json", env=sandbox_env)
    assert started.returncode == 0 and json.loads(started.stdout)["pid"] == sandbox.pid
    table = run_cli("sandbox", "status", env=sandbox_env)
    assert table.returncode == 0 and sandbox.endpoint_url in table.stdout


def test_cli_on_a_state_dir_without_a_sandbox(sandbox_env: dict[str, str], tmp_path: Path) -> None:
    env = {**sandbox_env, "OPSKIT_STATE_DIR": str(tmp_path)}
    shown = run_cli("sandbox", "status", "-o", "json", env=env)
    assert shown.returncode == 0 and json.loads(shown.stdout) == {"running": False}
    stopped = run_cli("sandbox", "stop", env=env)
    assert stopped.returncode == 0 and "not running" in stopped.stderr
    listed = run_cli("sandbox", "faults", "list", env=env)
    assert listed.returncode == 2 and "not running" in listed.stderr


def test_cli_refuses_a_config_without_the_sandbox(
    sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "environments.toml"
    config.write_text(
        MINI_CONFIG.replace('login = "sandbox"', 'login = "environment"').replace(
            "enabled = true", "enabled = false"
        )
    )
    env = {**sandbox_env, "OPSKIT_CONFIG": str(config), "OPSKIT_STATE_DIR": str(tmp_path)}
    started = run_cli("sandbox", "start", env=env)
    assert started.returncode == 2
    assert started.stderr.strip().splitlines() == [
        f"opskit: {config}: [sandbox] is not enabled; this config talks to AWS"
    ]


def test_sigterm_stops_the_server_cleanly(mini_config: Path, tmp_path: Path) -> None:
    info = ensure_running(mini_config, tmp_path, bare=True)
    os.kill(info.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while read_state(tmp_path) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert read_state(tmp_path) is None  # the server removed its own state file
    assert status(tmp_path) is None


def test_a_state_file_from_another_version_still_reads(tmp_path: Path) -> None:
    fake_state(tmp_path, 4242)
    path = state_path(tmp_path)
    data = json.loads(path.read_text())
    data["added_later"] = {"x": 1}
    path.write_text(json.dumps(data))
    info = read_state(tmp_path)
    assert info is not None and info.pid == 4242


def test_a_server_whose_state_dir_is_deleted_stops(mini_config: Path, tmp_path: Path) -> None:
    import shutil

    state_dir = (tmp_path / "doomed").resolve()
    info = ensure_running(mini_config, state_dir, bare=True)
    shutil.rmtree(state_dir)
    deadline = time.monotonic() + 15
    while servers_for(state_dir) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert servers_for(state_dir) == [] and health(info.endpoint_url) is None
    assert not state_dir.exists()  # and it did not recreate what was deleted
