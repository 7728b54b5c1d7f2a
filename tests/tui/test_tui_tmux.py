"""The installed ``opskit tui`` in a real terminal (tmux): it starts, shows dev, stage and
prod with their services, drills into a service, and quits with exit code 0.

Needs the ``tmux`` binary (CI installs it: ``apt-get install -y tmux``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
OPSKIT = Path(sys.executable).parent / "opskit"


class Terminal:
    """A private tmux server running one command in an 80×24 window."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "tui", key)
            time.sleep(0.3)

    def wait_for(self, done: Callable[[str], bool], seconds: float = 90.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = self.screen()
            if done(text):
                return text
            time.sleep(0.3)
        raise AssertionError(f"the terminal never showed what was expected:\n{self.screen()}")


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install -y tmux)")
    term = Terminal(f"opskit-test-{os.getpid()}")
    yield term
    subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True, check=False)


def test_installed_tui_starts_drills_in_and_quits_cleanly(
    terminal: Terminal, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    status = tmp_path / "exit-code"
    variables = " ".join(
        f"{name}={shlex.quote(sandbox_env[name])}"
        for name in ("OPSKIT_CONFIG", "OPSKIT_STATE_DIR", "PATH", "HOME")
        if name in sandbox_env
    )
    command = (
        f"env {variables} TERM=xterm-256color {shlex.quote(str(OPSKIT))} tui; echo $? > {status}"
    )
    terminal.tmux("new-session", "-d", "-s", "tui", "-x", "80", "-y", "24", command)

    first = terminal.wait_for(lambda s: "dev" in s and "stage" in s and "prod" in s, 30)
    assert "opskit" in first
    overview = terminal.wait_for(lambda s: "api-worker" in s and "1/1" in s)
    assert "integrations" in overview and "cdn-edge" in overview

    terminal.keys("Down", "Right", "Enter")  # api in dev
    service = terminal.wait_for(lambda s: "Tasks" in s and "Deployments" in s)
    assert "dev" in service and "api" in service

    terminal.keys("Escape")
    terminal.wait_for(lambda s: "api-worker" in s and "Tasks" not in s)
    terminal.keys("q")
    deadline = time.monotonic() + 30
    while not status.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert status.read_text().strip() == "0"
