"""Benchmark: memory of ``opskit tui`` on the large estate (3 environments × 3 clusters ×
100 services, 3 tasks each; target: < 300 MB), in a real terminal.

    .venv/bin/python benchmarks/tui_memory.py [--scale large|normal] [--seconds 60]
        [--refresh 5] [--state-dir DIR]

Starts its own sandbox, runs the installed ``opskit tui`` in a private tmux server at
160×50, waits for every environment, walks the big screens (hosts map, a service with its
detail, the feed, back to the overview), then samples the process's memory (RSS and USS)
while it keeps refreshing, and prints the peak.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import psutil

sys.path.insert(0, os.path.dirname(__file__))
from tui_common import Terminal, loaded, machine_speed, sandbox, status_line

TARGET_MB = 300.0
MB = 1024 * 1024


def run(args: argparse.Namespace) -> None:
    with sandbox(args.scale, args.state_dir) as state:
        term = Terminal(state, ["--refresh", str(args.refresh)])
        process = psutil.Process(term.pid)
        peak_rss = peak_uss = 0.0
        try:
            began = time.perf_counter()
            first = term.wait_for(loaded, 600)
            print(f"first full screen after {time.perf_counter() - began:.1f} s", flush=True)
            print(f"  {status_line(first)}")
            after_load = process.memory_info().rss / MB
            term.keys("h", pause=4)  # every host, as tiles
            term.keys("Escape", "Down", "Right", "Enter", pause=3)  # a service, detail depth
            term.keys("Escape", "f", pause=3)  # the feed
            term.keys("Escape", pause=1)
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline:
                info = process.memory_full_info()
                peak_rss = max(peak_rss, info.rss / MB)
                peak_uss = max(peak_uss, info.uss / MB)
                time.sleep(1.0)
            last = term.screen()
        finally:
            term.close()
    verdict = "ok" if peak_rss < TARGET_MB else "ABOVE TARGET"
    print(f"\nopskit tui memory, {args.scale} estate, refresh every {args.refresh:g} s")
    print(f"  after first load   {after_load:.0f} MB RSS")
    print(f"  peak over {args.seconds:.0f} s    {peak_rss:.0f} MB RSS, {peak_uss:.0f} MB USS"
          f"   (target < {TARGET_MB:.0f} MB: {verdict})")  # fmt: skip
    print(f"  status line        {status_line(last)}")
    print(f"  machine            {machine_speed()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("normal", "large"), default="large")
    parser.add_argument("--seconds", type=float, default=60.0, help="Sampling window.")
    parser.add_argument("--refresh", type=float, default=5.0, help="Refresh interval.")
    parser.add_argument("--state-dir", help="Use the sandbox already running there.")
    run(parser.parse_args())
