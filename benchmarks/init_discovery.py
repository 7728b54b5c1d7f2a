"""How long `opskit init` takes to discover the sandbox estate.

Run: .venv/bin/python benchmarks/init_discovery.py [--runs N]
Prints the median and best of N runs of `opskit init --login sandbox` scanning every ECS
region (the default) and, as the baseline in the same run, `--regions eu-west-1` (the floor:
the Organization, the role probes and one ListClusters per account), plus `opskit envs`
(the same AssumeRole calls through the normal path) for scale.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OPSKIT = str(Path(sys.executable).with_name("opskit"))


def timed(command: list[str], runs: int) -> tuple[float, float]:
    took = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as folder:
            out = ["--out", str(Path(folder) / "environments.toml")] if "init" in command else []
            start = time.perf_counter()
            subprocess.run([*command, *out], cwd=ROOT, check=True, capture_output=True)
            took.append(time.perf_counter() - start)
    return statistics.median(took), min(took)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    subprocess.run([OPSKIT, "sandbox", "start"], cwd=ROOT, check=False, capture_output=True)
    rows = [
        ("opskit envs (baseline: 9 AssumeRole)", [OPSKIT, "envs", "-o", "json"]),
        ("opskit init --regions eu-west-1 (floor)",
         [OPSKIT, "init", "--login", "sandbox", "--regions", "eu-west-1"]),
        ("opskit init (every ECS region)", [OPSKIT, "init", "--login", "sandbox"]),
    ]  # fmt: skip
    print(f"{'command':<44} {'median s':>9} {'best s':>8}")
    for label, command in rows:
        median, best = timed(command, runs)
        print(f"{label:<44} {median:>9.2f} {best:>8.2f}")


if __name__ == "__main__":
    main()
