"""What reading revisions and schedules adds to one overview snapshot: calls and time.

    .venv/bin/python benchmarks/estate_extras_calls.py [--runs N]

Uses the repository's environments.toml (the sandbox, started if needed, in
``$OPSKIT_STATE_DIR``). Prints, in the same run, the median of N snapshots of every
environment (without utilization) as opskit reads them, and the baseline: the same
snapshots with the revisions and schedules chains switched off; then the calls those
chains made, by operation.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXTRA = ("ecs.DescribeTaskDefinition", "events.", "scheduler.")


def measure(estate: Any, runs: int) -> tuple[float, float, Counter[str]]:
    took, calls = [], Counter[str]()
    for _ in range(runs):
        start = time.perf_counter()
        snapshot = estate.snapshot()
        took.append(time.perf_counter() - start)
        calls = Counter(snapshot.calls)
    return statistics.median(took), min(took), calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    from opskit.estate.collect import Estate
    from opskit.estate.region import RegionRead
    from opskit.workspace import open_workspace

    workspace = open_workspace(REPO / "environments.toml", user="alice")
    estate = Estate(workspace.accounts, utilization=False)
    estate.snapshot()  # warm: clients, sessions, the sandbox's lazy backends
    with_extras = measure(estate, runs)
    revisions, schedules = RegionRead._revisions, RegionRead._schedules
    RegionRead._revisions = lambda self, *args: None  # type: ignore[method-assign]
    RegionRead._schedules = lambda self: None  # type: ignore[method-assign]
    try:
        baseline = measure(estate, runs)
    finally:
        RegionRead._revisions, RegionRead._schedules = revisions, schedules  # type: ignore[method-assign]
    print(f"{'snapshot of every environment':<44} {'median s':>9} {'best s':>9} {'calls':>6}")
    for label, (median, best, calls) in (
        ("baseline (no revisions, no schedules)", baseline),
        ("with revisions and schedules", with_extras),
    ):
        print(f"{label:<44} {median:>9.3f} {best:>9.3f} {sum(calls.values()):>6}")
    added = {k: v for k, v in sorted(with_extras[2].items()) if k.startswith(EXTRA)}
    print("calls added, by operation:", ", ".join(f"{k} {v}" for k, v in added.items()))


if __name__ == "__main__":
    main()
