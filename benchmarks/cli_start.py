"""How fast the CLI answers: `opskit --help` start time and `opskit envs` wall time.

Run: .venv/bin/python benchmarks/cli_start.py [--runs N]
Prints the median and best of N runs of each, and, as the baseline in the same run,
a bare `python -c pass` and `python -c "import boto3"` (the floor any boto3 CLI pays).
Uses the repository's environments.toml (the sandbox; it is started if needed).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPSKIT = str(Path(sys.executable).with_name("opskit"))


def timed(command: list[str], runs: int) -> tuple[float, float]:
    took = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
        took.append(time.perf_counter() - start)
    return statistics.median(took), min(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    subprocess.run([OPSKIT, "sandbox", "start"], cwd=ROOT, check=False, capture_output=True)
    rows = [
        ("python -c pass (floor)", [sys.executable, "-c", "pass"]),
        ("python -c 'import boto3' (baseline)", [sys.executable, "-c", "import boto3"]),
        ("opskit --help", [OPSKIT, "--help"]),
        ("opskit envs (3 envs x 3 levels, live AssumeRole)", [OPSKIT, "envs", "-o", "json"]),
    ]
    print(f"{'command':<52} {'median s':>9} {'best s':>9}   ({runs} runs)")
    for label, command in rows:
        median, best = timed(command, runs)
        print(f"{label:<52} {median:>9.3f} {best:>9.3f}")


if __name__ == "__main__":
    main()
