"""Benchmark: how fast the dashboard answers keys while refreshes run (target: < 100 ms).

    .venv/bin/python benchmarks/tui_latency.py [--scale normal|large] [--seconds 60]
        [--refresh 2] [--state-dir DIR]

Starts its own sandbox and the real app (``LibrarySource``: estate, engine, journal) headless
at 160×50 with a short refresh interval, so environment reads run in worker threads most of
the time. Then it sends cursor keys to the overview matrix, as the terminal driver does, and
times each one twice: until the key was handled (the cursor moved) and until the screen was
repainted with it. Keys are split by whether a refresh was in flight. (Textual's pilot is not
used for timing: it waits for the whole process to go idle, which worker threads prevent.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from tui_common import CONFIG, machine_speed, sandbox

TARGET_MS = 100.0


def summary(label: str, samples: list[float]) -> str:
    if not samples:
        return f"  {label:<34} no samples"
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return (
        f"  {label:<34} n={len(samples):<5} p50 {statistics.median(samples):6.1f} ms"
        f"   p95 {p95:6.1f} ms   max {ordered[-1]:6.1f} ms"
    )


async def until(done: Any, limit: float = 5.0) -> float:
    """Yield to the event loop until ``done()``; the moment it became true."""
    deadline = time.perf_counter() + limit
    while not done():
        if time.perf_counter() > deadline:
            raise SystemExit("the dashboard stopped answering")
        await asyncio.sleep(0)
    return time.perf_counter()


async def measure(args: argparse.Namespace) -> dict[str, list[float]]:
    from textual import events
    from textual.screen import Screen

    from opskit.config import load_config
    from tui.app import OpskitApp
    from tui.library import LibrarySource
    from tui.settings import Settings
    from tui.widgets.estate_table import EstateTable

    painted: list[float] = []
    repaint = Screen._compositor_refresh

    def counted(screen: Screen[Any]) -> None:
        repaint(screen)
        painted.append(time.perf_counter())

    Screen._compositor_refresh = counted  # type: ignore[method-assign,assignment]
    config = load_config(CONFIG)
    app = OpskitApp(
        config, LibrarySource(config), Settings.from_config(config, refresh=args.refresh)
    )
    out: dict[str, list[float]] = {"busy handled": [], "busy painted": [], "idle handled": [],
                                   "idle painted": []}  # fmt: skip
    async with app.run_test(size=(160, 50)) as pilot:
        began = time.perf_counter()
        while not (app.user != "connecting…" and all(e.state for e in app.estate.envs)):
            await pilot.pause(0.1)
            if time.perf_counter() - began > 600:
                raise SystemExit("the estate never arrived")
        print(f"every environment on screen after {time.perf_counter() - began:.1f} s")
        table = app.screen.query_one(EstateTable)
        deadline = time.perf_counter() + args.seconds
        step = 0
        while time.perf_counter() < deadline:
            key = "down" if (step // 8) % 2 == 0 else "up"
            busy = "busy" if app._inflight else "idle"
            before, frames = table.cursor_coordinate, len(painted)
            sent = time.perf_counter()
            assert app._driver is not None
            app._driver.send_message(events.Key(key, None))
            handled = await until(lambda was=before: table.cursor_coordinate != was)
            shown = await until(lambda n=frames, at=handled: len(painted) > n and painted[-1] >= at)
            out[f"{busy} handled"].append((handled - sent) * 1000)
            out[f"{busy} painted"].append((shown - sent) * 1000)
            step += 1
            await asyncio.sleep(0.1)
        view = app.estate
        print(f"{view.api_calls} API calls, last refresh took {view.last_refresh_seconds:.1f} s")
    return out


def run(args: argparse.Namespace) -> None:
    with sandbox(args.scale, args.state_dir):
        out = asyncio.run(measure(args))
    print(f"\nkeypress latency, {args.scale} estate, refresh every {args.refresh:g} s, 160×50")
    print(summary("refresh running: key handled", out["busy handled"]))
    print(summary("refresh running: screen repainted", out["busy painted"]))
    print(summary("no refresh: key handled", out["idle handled"]))
    print(summary("no refresh: screen repainted", out["idle painted"]))
    busy = sorted(out["busy painted"])
    worst = busy[min(len(busy) - 1, int(0.95 * len(busy)))] if busy else 0.0
    verdict = "ok" if worst < TARGET_MS else "ABOVE TARGET"
    print(f"  target: repainted within {TARGET_MS:.0f} ms (p95) while refreshing: {verdict}")
    print(f"  machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
          f"{machine_speed()}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=("normal", "large"), default="normal")
    parser.add_argument("--seconds", type=float, default=60.0, help="How long to press keys.")
    parser.add_argument("--refresh", type=float, default=2.0, help="Refresh interval.")
    parser.add_argument("--state-dir", help="Use the sandbox already running there.")
    run(parser.parse_args())
