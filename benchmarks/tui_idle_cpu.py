"""Benchmark: CPU used by an idle ``opskit tui`` refreshing every 10 s (target: < 3 % of a
core), in a real terminal, on the normal sandbox estate (``--scale large`` for the big one).

    .venv/bin/python benchmarks/tui_idle_cpu.py [--scale normal|large] [--seconds 60]
        [--refresh 10] [--state-dir DIR]

Starts its own sandbox, runs the installed ``opskit tui --refresh N`` in a private tmux
server at 160×50, waits until every environment is on screen plus one refresh, then
measures the dashboard process's CPU time over the window. Nobody touches a key. The
sandbox's own CPU is not counted (it stands in for AWS).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import psutil

sys.path.insert(0, os.path.dirname(__file__))
from tui_common import Terminal, cpu_seconds, loaded, machine_speed, sandbox, status_line

TARGET = 3.0


def run(args: argparse.Namespace) -> None:
    with sandbox(args.scale, args.state_dir) as state:
        term = Terminal(state, ["--refresh", str(args.refresh)])
        try:
            began = time.perf_counter()
            first = term.wait_for(loaded)
            print(f"first full screen after {time.perf_counter() - began:.1f} s", flush=True)
            print(f"  {status_line(first)}")
            time.sleep(args.refresh + 2)  # one whole refresh, then measure
            process = psutil.Process(term.pid)
            cpu, wall = cpu_seconds(process), time.perf_counter()
            time.sleep(args.seconds)
            used = cpu_seconds(process) - cpu
            took = time.perf_counter() - wall
            last = term.screen()
        finally:
            term.close()
    share = 100.0 * used / took
    verdict = "ok" if share < TARGET else "ABOVE TARGET"
    print(f"\nidle opskit tui, refresh every {args.refresh:g} s, {args.scale} estate")
    print(f"  window       {took:.0f} s wall")
    print(f"  CPU used     {used:.2f} s")
    print(f"  CPU share    {share:.2f} % of one core   (target < {TARGET:g} %: {verdict})")
    print(f"  status line  {status_line(last)}")
    print(f"  machine      {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"{machine_speed()}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("normal", "large"), default="normal")
    parser.add_argument("--seconds", type=float, default=60.0, help="Measuring window.")
    parser.add_argument("--refresh", type=float, default=10.0, help="Refresh interval.")
    parser.add_argument("--state-dir", help="Use the sandbox already running there.")
    run(parser.parse_args())
