"""What the TUI benchmarks share: a sandbox of their own, and the installed ``opskit tui``
running in a real terminal (a private tmux server) whose process can be measured.

Not a benchmark itself; ``tui_latency.py``, ``tui_idle_cpu.py`` and ``tui_memory.py`` are.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "environments.toml"
OPSKIT = Path(sys.executable).parent / "opskit"


@contextlib.contextmanager
def sandbox(scale: str, state_dir: str | None = None) -> Iterator[Path]:
    """A running sandbox at ``scale`` (its own, in a temporary state dir, unless given)."""
    own = state_dir is None
    state = Path(state_dir or tempfile.mkdtemp(prefix="opskit-tui-bench-"))
    os.environ["OPSKIT_STATE_DIR"] = str(state)
    from sandbox.process import ensure_running, stop

    began = time.perf_counter()
    ensure_running(CONFIG, state, scale=scale, owner_pid=os.getpid() if own else None)
    print(f"{scale} sandbox ready in {time.perf_counter() - began:.0f} s", flush=True)
    try:
        yield state
    finally:
        if own:
            stop(state)
            shutil.rmtree(state, ignore_errors=True)


class Terminal:
    """``opskit tui ARGS`` in a private tmux server; ``pid`` is the opskit process."""

    def __init__(self, state: Path, args: list[str], size: tuple[int, int] = (160, 50)) -> None:
        if shutil.which("tmux") is None:
            raise SystemExit("tmux is needed (apt-get install -y tmux)")
        self.socket = f"opskit-bench-{os.getpid()}"
        command = (
            f"exec env OPSKIT_CONFIG={shlex.quote(str(CONFIG))} "
            f"OPSKIT_STATE_DIR={shlex.quote(str(state))} TERM=xterm-256color "
            f"{shlex.quote(str(OPSKIT))} tui {' '.join(map(shlex.quote, args))}"
        )
        width, height = size
        self.tmux("new-session", "-d", "-s", "tui", "-x", str(width), "-y", str(height), command)
        self.pid = int(self.tmux("display-message", "-p", "-t", "tui", "#{pane_pid}").strip())

    def tmux(self, *args: str) -> str:
        done = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, check=True
        )
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "tui")

    def keys(self, *keys: str, pause: float = 1.0) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "tui", key)
            time.sleep(pause)

    def wait_for(self, done: Callable[[str], bool], seconds: float = 300.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = self.screen()
            if done(text):
                return text
            time.sleep(0.5)
        raise SystemExit(f"the dashboard never got there:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True, check=False)


def loaded(text: str) -> bool:
    """Every environment has data on screen (no card still connecting)."""
    return "connecting…" not in text and "refreshed " in status_line(text)


def cpu_seconds(process: Any) -> float:
    """User + system CPU of a psutil process and its children."""
    total = sum(process.cpu_times()[:2])
    for child in process.children(recursive=True):
        with contextlib.suppress(Exception):
            total += sum(child.cpu_times()[:2])
    return float(total)


def status_line(text: str) -> str:
    """The dashboard's status line (user, API calls, last refresh)."""
    return next((line.strip() for line in text.splitlines() if "API calls │" in line), "")


def machine_speed() -> str:
    """How fast this machine runs plain Python, for reading the other figures: the time of
    a fixed loop (about 0.35 s on a 2022 laptop core)."""
    began = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number
    return f"python loop {time.perf_counter() - began:.2f} s (a 2022 laptop: ~0.35 s)"
