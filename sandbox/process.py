"""Start, find, stop and reset the sandbox's background process.

``ensure_running`` is what every opskit command calls when the config points at the
sandbox: it returns the running sandbox, or starts one (detached, so it outlives the
command) and waits until it answers. A file lock makes concurrent starts safe: the first
starts the server, the others wait and find it. A state file naming a dead process (or a
process that is not this sandbox's server) is stale and is removed. ``stop`` signals only
the process its state directory recorded, after checking that it really is that server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from opskit.errors import AwsError
from sandbox.state import (
    LOCK_FILE,
    LOG_FILE,
    SandboxInfo,
    read_state,
    remove_state,
    sandbox_dir,
)

START_TIMEOUT = {"normal": 120.0, "large": 900.0}
_LOG_ROTATE_BYTES = 5_000_000
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
# Servers this process started: they outlive the call by design, so their Popen objects are
# kept (never collected while the child runs, which CPython reports as a ResourceWarning)
# and polled by ``_alive``, which reaps them.
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


def ensure_running(
    config: Any,
    state_dir: Path,
    *,
    scale: str | None = None,
    time_factor: float | None = None,
    owner_pid: int | None = None,
    bare: bool = False,
) -> SandboxInfo:
    """The running sandbox for ``state_dir``, started (and waited for) if needed.

    ``config`` is a ``Config`` (its ``.path`` is used) or a path to environments.toml.
    ``scale`` and ``time_factor`` override the config's [sandbox] settings for a new start;
    ``owner_pid`` makes the server stop when that process ends; ``bare`` starts it with
    identities only (no estate, costs, simulator or Datadog: for tests of the process).
    """
    state_dir = Path(state_dir).resolve()
    config_path = Path(getattr(config, "path", config)).resolve()
    with _lock(state_dir, START_TIMEOUT["large"]):
        info = _running(state_dir)
        if info is not None:
            return info
        return _start(config_path, state_dir, scale, time_factor, owner_pid, bare)


def status(state_dir: Path) -> SandboxInfo | None:
    """The running sandbox, or None (a stale state file is removed). Never waits for a start."""
    return _running(Path(state_dir).resolve())


def stop(state_dir: Path, timeout: float = 15.0) -> bool:
    """Stop this state directory's sandbox; True if a running one was stopped."""
    state_dir = Path(state_dir).resolve()
    with _lock(state_dir, START_TIMEOUT["large"]):
        info = read_state(state_dir)
        if info is None:
            return False
        if not _alive(info.pid) or not _is_server(info, state_dir):
            remove_state(state_dir, pid=info.pid)
            return False
        os.kill(info.pid, signal.SIGTERM)
        if not _wait_gone(info.pid, timeout):
            os.kill(info.pid, signal.SIGKILL)
            _wait_gone(info.pid, 5.0)
        remove_state(state_dir, pid=info.pid)
        return True


def reset(config: Any, state_dir: Path, **options: Any) -> SandboxInfo:
    """Stop the sandbox (if running), forget its saved estate, start a freshly seeded one."""
    from sandbox.persist import discard

    stop(state_dir)
    discard(Path(state_dir).resolve())
    return ensure_running(config, state_dir, **options)


def health(endpoint_url: str, timeout: float = 2.0) -> dict[str, Any] | None:
    """The server's health answer, or None if it does not answer."""
    try:
        with _NO_PROXY.open(f"{endpoint_url}/_opskit/health", timeout=timeout) as answer:
            data: dict[str, Any] = json.loads(answer.read())
            return data
    except (OSError, ValueError):
        return None


# -- internals -------------------------------------------------------------------------


@contextlib.contextmanager
def _lock(state_dir: Path, timeout: float) -> Any:
    from filelock import FileLock, Timeout

    lock = FileLock(str(sandbox_dir(state_dir) / LOCK_FILE))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise AwsError(f"timed out waiting for another sandbox start in {state_dir}") from None
    try:
        yield
    finally:
        lock.release()


def _running(state_dir: Path) -> SandboxInfo | None:
    """The recorded sandbox if it is alive and answering; cleans a stale record."""
    info = read_state(state_dir)
    if info is None:
        return None
    if not _alive(info.pid) or not _is_server(info, state_dir):
        remove_state(state_dir, pid=info.pid)  # only that record: a new one may be there now
        return None
    for _ in range(10):
        answer = health(info.endpoint_url)
        if answer is not None and answer.get("pid") == info.pid:
            return info
        time.sleep(0.5)
    raise AwsError(
        f"the sandbox (pid {info.pid}) does not answer at {info.endpoint_url}; "
        "run `opskit sandbox reset`"
    )


def _start(
    config_path: Path,
    state_dir: Path,
    scale: str | None,
    time_factor: float | None,
    owner_pid: int | None,
    bare: bool,
) -> SandboxInfo:
    folder = sandbox_dir(state_dir)
    log_path = folder / LOG_FILE
    if log_path.exists() and log_path.stat().st_size > _LOG_ROTATE_BYTES:
        log_path.replace(folder / f"{LOG_FILE}.1")
    command = [
        sys.executable, "-m", "sandbox.server",
        "--config", str(config_path), "--state-dir", str(state_dir),
    ]  # fmt: skip
    if scale:
        command += ["--scale", scale]
    if time_factor:
        command += ["--time-factor", str(time_factor)]
    if owner_pid:
        command += ["--owner-pid", str(owner_pid)]
    if bare:
        command.append("--bare")
    env = dict(os.environ)
    env.pop("MOTO_ACCOUNT_ID", None)
    env["NO_PROXY"] = ",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            start_new_session=True,  # detached: survives the command that started it
            close_fds=True,
        )
    _STARTED[process.pid] = process
    try:
        return _wait_ready(process, state_dir, START_TIMEOUT.get(scale or "normal", 120.0))
    except BaseException:
        if process.poll() is None:
            process.kill()
            process.wait()
        raise


def _wait_ready(process: subprocess.Popen[bytes], state_dir: Path, timeout: float) -> SandboxInfo:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            log = sandbox_dir(state_dir) / LOG_FILE
            raise AwsError(f"{_last_line(log)} (exit {code}; see {log})")
        info = read_state(state_dir)
        if info is not None and info.pid == process.pid:
            answer = health(info.endpoint_url)
            if answer is not None and answer.get("ready"):
                return info
        time.sleep(0.05)
    raise AwsError(f"the sandbox did not start within {timeout:.0f} s (see {state_dir}/sandbox)")


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        lines = []
    return lines[-1].strip() if lines else "sandbox failed to start"


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (reaping it first if it is our own exited child)."""
    started = _STARTED.get(pid)
    if started is not None:
        if started.poll() is None:
            return True
        del _STARTED[pid]
        return False
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_server(info: SandboxInfo, state_dir: Path) -> bool:
    """Whether ``info.pid`` is this state directory's sandbox server (not a reused pid)."""
    answer = health(info.endpoint_url, timeout=1.0)
    if answer is not None:
        return bool(answer.get("pid") == info.pid)
    cmdline = Path(f"/proc/{info.pid}/cmdline")
    if not cmdline.exists():
        return True  # no /proc (macOS): trust the pid check above
    words = cmdline.read_bytes().split(b"\0")
    return b"sandbox.server" in words and str(state_dir).encode() in words


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False
