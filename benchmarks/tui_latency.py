"""Benchmark: how fast the dashboard answers keys while refreshes run (target: < 100 ms).

    .venv/bin/python benchmarks/tui_latency.py [--scale normal|large] [--seconds 60]
        [--refresh 2] [--state-dir DIR]

Starts its own sandbox and the real app (``LibrarySource``: estate, engine, journal) headless
at 160×50 with a short refresh interval, so environment reads run in worker threads nearly
all the time. Then it presses cursor keys on the overview matrix for the window and times
each one from the key to the screen having processed it (Textual's pilot waits for the
handlers and the repaint). Presses are split by whether a refresh was in flight, and the
event loop's own lag (a 10 ms timer's lateness) is sampled alongside.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from tui_common import CONFIG, machine_speed, sandbox

TARGET_MS = 100.0


def summary(label: str, samples: list[float]) -> str:
    if not samples:
        return f"  {label:<28} no samples"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"  {label:<28} n={len(samples):<5} p50 {statistics.median(samples):6.1f} ms"
        f"   p95 {p95:6.1f} ms   max {ordered[-1]:6.1f} ms"
    )


async def measure(args: argparse.Namespace) -> tuple[list[float], list[float], list[float], str]:
    from opskit.config import load_config
    from tui.app import OpskitApp
    from tui.library import LibrarySource
    from tui.settings import Settings

    config = load_config(CONFIG)
    settings = Settings.from_config(config, refresh=args.refresh)
    app = OpskitApp(config, LibrarySource(config), settings)
    busy: list[float] = []
    idle: list[float] = []
    lag: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        began = time.perf_counter()
        while not (app.user != "connecting…" and all(e.state for e in app.estate.envs)):
            await pilot.pause(0.1)
            if time.perf_counter() - began > 600:
                raise SystemExit("the estate never arrived")
        print(f"every environment on screen after {time.perf_counter() - began:.1f} s")
        stop = asyncio.Event()

        async def ticker() -> None:
            while not stop.is_set():
                expected = time.perf_counter() + 0.01
                await asyncio.sleep(0.01)
                lag.append(max(0.0, (time.perf_counter() - expected) * 1000))

        probe = asyncio.create_task(ticker())
        deadline = time.perf_counter() + args.seconds
        keys = ["down"] * 8 + ["up"] * 8
        index = 0
        while time.perf_counter() < deadline:
            refreshing = bool(app._inflight)
            started = time.perf_counter()
            await pilot.press(keys[index % len(keys)])
            took = (time.perf_counter() - started) * 1000
            (busy if refreshing else idle).append(took)
            index += 1
            await asyncio.sleep(0.05)
        stop.set()
        await probe
        view = app.estate
        status = f"{view.api_calls} API calls, last refresh {view.last_refresh_seconds:.1f} s"
    return busy, idle, lag, status


def run(args: argparse.Namespace) -> None:
    with sandbox(args.scale, args.state_dir):
        busy, idle, lag, status = asyncio.run(measure(args))
    print(f"\nkeypress latency, {args.scale} estate, refresh every {args.refresh:g} s ({status})")
    print(summary("while a refresh runs", busy))
    print(summary("with no refresh running", idle))
    print(summary("event-loop lag (10 ms timer)", lag))
    worst = sorted(busy)[int(0.95 * len(busy))] if busy else 0.0
    verdict = "ok" if worst < TARGET_MS else "ABOVE TARGET"
    print(f"  target: p95 < {TARGET_MS:.0f} ms while refreshing: {verdict}")
    print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"{machine_speed()}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("normal", "large"), default="normal")
    parser.add_argument("--seconds", type=float, default=60.0, help="How long to press keys.")
    parser.add_argument("--refresh", type=float, default=2.0, help="Refresh interval.")
    parser.add_argument("--state-dir", help="Use the sandbox already running there.")
    run(parser.parse_args())
