"""Benchmark: what one open dashboard costs while nobody touches it, against issue 14's budgets.

    .venv/bin/python benchmarks/dashboard_budget.py [--minutes 2] [--scale normal|large]
        [--baseline PATH] [--state-dir DIR]

Runs ``opskit tui`` (the same app, settings and library source as the command, at the
config's default refresh) in a private tmux server against a sandbox of its own, and
prints, per checkout:

- AWS API calls per minute by operation over the window (from ``Accounts.calls``, which
  every client reports to; the child process writes the counter to a file every 2 s);
- idle CPU of the dashboard process (psutil, user + system, the sandbox not counted);
- the first full frame (from launch until every environment's card is on screen);
- RSS (peak over the window).

``--baseline PATH`` runs a second checkout (e.g. ``git archive main | tar -x -C /tmp/base``)
against the same sandbox, so both figures come from one run. First frames are timed one
dashboard at a time (each started alone, then closed); then both run side by side for the
measuring window.

Budgets (issue 14): <= 300 calls a minute on the repository's estate, idle CPU <= 2 % of a
core, and on ``--scale large`` a first frame <= 3 s and RSS <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))

HERE = Path(__file__).resolve()
BUDGET_CALLS, BUDGET_CPU, BUDGET_FIRST, BUDGET_RSS = 300.0, 2.0, 3.0, 300.0


# -- the child: the dashboard itself, counting its calls ---------------------------------


def child(out: str) -> None:
    """Run the dashboard as ``opskit tui`` does, writing its call counter to ``out``."""
    from opskit.config.load import load_config
    from tui.app import OpskitApp
    from tui.library import LibrarySource
    from tui.settings import Settings

    config = load_config(None)
    source = LibrarySource(config, None)
    app = OpskitApp(config, source, Settings.from_config(config))

    def report() -> None:
        while True:
            time.sleep(2.0)
            ws = source._workspace
            calls = ws.accounts.calls.by_operation() if ws is not None else {}
            Path(out + ".tmp").write_text(json.dumps({"at": time.time(), "calls": calls}))
            os.replace(out + ".tmp", out)

    threading.Thread(target=report, daemon=True).start()
    app.run()


# -- the parent: launch, wait, measure -------------------------------------------------


@dataclass
class Run:
    """One checkout's dashboard in its own terminal, and what was measured of it."""

    label: str
    checkout: Path
    counter: Path
    term: Any = None
    first: float = 0.0
    start_calls: dict[str, int] = field(default_factory=dict)
    end_calls: dict[str, int] = field(default_factory=dict)
    cpu: float = 0.0
    rss: float = 0.0
    process: Any = None
    cpu_at: float = 0.0


def launch(run: Run, state: Path) -> float:
    """Start ``run``'s dashboard; the seconds until every environment is on screen."""
    from tui_common import CONFIG, Terminal, loaded

    command = (
        f"exec env PYTHONPATH={shlex.quote(str(run.checkout))} "
        f"OPSKIT_CONFIG={shlex.quote(str(CONFIG))} OPSKIT_STATE_DIR={shlex.quote(str(state))} "
        f"TERM=xterm-256color {shlex.quote(sys.executable)} {shlex.quote(str(HERE))} "
        f"--child {shlex.quote(str(run.counter))}"
    )
    term = Terminal.__new__(Terminal)
    term.socket = f"opskit-budget-{os.getpid()}-{run.label}"
    began = time.perf_counter()
    term.tmux("new-session", "-d", "-s", "tui", "-x", "160", "-y", "50", "-c",
              str(run.checkout), command)  # fmt: skip
    term.pid = int(term.tmux("display-message", "-p", "-t", "tui", "#{pane_pid}").strip())
    run.term = term
    deadline = time.monotonic() + 300
    while not loaded(term.screen()):
        if time.monotonic() > deadline:
            raise SystemExit(f"{run.label}: the dashboard never loaded:\n{term.screen()}")
        time.sleep(0.05)
    return time.perf_counter() - began


def counted(run: Run) -> dict[str, int]:
    """The child's counter, as written after the current moment."""
    wanted = time.time()
    while True:
        try:
            data = json.loads(run.counter.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            data = {"at": 0}
        if data["at"] >= wanted:
            return {str(k): int(v) for k, v in data["calls"].items()}
        time.sleep(0.2)


def measure(runs: list[Run], minutes: float, refresh: float) -> float:
    import psutil
    from tui_common import cpu_seconds

    time.sleep(refresh + 2)  # past the first read, into the steady state
    for run in runs:
        run.process = psutil.Process(run.term.pid)
        run.start_calls = counted(run)
        run.cpu_at = cpu_seconds(run.process)
    began = time.perf_counter()
    while time.perf_counter() - began < minutes * 60:
        time.sleep(1.0)
        for run in runs:
            run.rss = max(run.rss, run.process.memory_info().rss / 2**20)
    took = time.perf_counter() - began
    for run in runs:
        run.cpu = 100.0 * (cpu_seconds(run.process) - run.cpu_at) / took
        run.end_calls = counted(run)
    return took


def per_minute(run: Run, seconds: float) -> dict[str, float]:
    ops = set(run.start_calls) | set(run.end_calls)
    out = {op: (run.end_calls.get(op, 0) - run.start_calls.get(op, 0)) * 60 / seconds for op in ops}
    return {op: rate for op, rate in out.items() if rate}


def table(rates: Mapping[str, Mapping[str, float]]) -> list[str]:
    labels = list(rates)
    ops = sorted({op for r in rates.values() for op in r})
    width = max([len(op) for op in ops] + [9])
    lines = [f"  {'calls/min':<{width}}" + "".join(f"{label:>12}" for label in labels)]
    for op in ops:
        lines.append(f"  {op:<{width}}" + "".join(f"{rates[x].get(op, 0):>12.1f}" for x in labels))
    lines.append(
        f"  {'total':<{width}}" + "".join(f"{sum(rates[x].values()):>12.1f}" for x in labels)
    )
    return lines


def main(args: argparse.Namespace) -> None:
    from tui_common import CONFIG, machine_speed, sandbox

    from opskit.config.load import load_config

    refresh = load_config(CONFIG).tui.refresh_seconds
    runs = []
    with sandbox(args.scale, args.state_dir) as state:
        if args.baseline:
            runs.append(Run("baseline", Path(args.baseline).resolve(), state / "calls-base.json"))
        runs.append(Run("this", HERE.parents[1], state / "calls-this.json"))
        try:
            for run in runs:  # first frames, one dashboard at a time
                run.first = launch(run, state)
                print(f"{run.label}: first full frame after {run.first:.1f} s", flush=True)
                run.term.close()
                run.counter.unlink(missing_ok=True)
            for run in runs:
                launch(run, state)
            seconds = measure(runs, args.minutes, refresh)
        finally:
            for run in runs:
                if run.term is not None:
                    run.term.close()
    rates = {run.label: per_minute(run, seconds) for run in runs}
    print(f"\none idle dashboard, {args.scale} estate, refresh {refresh:g} s, "
          f"window {seconds / 60:.1f} min")  # fmt: skip
    print("\n".join(table(rates)))
    labels = "".join(f"{run.label:>12}" for run in runs)
    print(f"\n  {'':<28}{labels}   budget")
    rows = [
        ("calls per minute", [sum(rates[r.label].values()) for r in runs], f"<= {BUDGET_CALLS:g}"),
        ("idle CPU, % of a core", [r.cpu for r in runs], f"<= {BUDGET_CPU:g}"),
        ("first full frame, s", [r.first for r in runs], f"<= {BUDGET_FIRST:g} (large)"),
        ("RSS peak, MB", [r.rss for r in runs], f"<= {BUDGET_RSS:g} (large)"),
    ]
    for name, values, budget in rows:
        print(f"  {name:<28}" + "".join(f"{v:>12.1f}" for v in values) + f"   {budget}")
    print(f"\n  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"{machine_speed()}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=2.0, help="Measuring window.")
    parser.add_argument("--scale", choices=("normal", "large"), default="normal")
    parser.add_argument("--baseline", help="Another checkout to measure side by side.")
    parser.add_argument("--state-dir", help="Use the sandbox already running there.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parsed = parser.parse_args()
    if parsed.child:
        child(parsed.child)
    else:
        main(parsed)
