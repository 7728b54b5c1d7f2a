"""Benchmark: what the bill-to-journal join costs a CUR report.

Generates the sandbox's 13-month bill (optionally at a larger size) into a temporary
folder and builds the same report (``--months 2 --by env,service``) three ways, each
several times: without a journal (the baseline: 10 days of daily data for the forecast),
and with a journal holding one applied scale (daily data by service tag from the last
complete month, and the step search). Prints CPU and wall time per build and the ratio to
the baseline measured in the same run.

    .venv/bin/python benchmarks/costs_join.py                     # the sandbox's size
    .venv/bin/python benchmarks/costs_join.py --line-items 1000000
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2026, 12, 7)


@dataclass
class Ws:
    config: Any
    accounts: Any
    state_dir: Path
    journal_path: Path


def journal(path: Path, config: Any) -> None:
    from opskit.audit import Actor, Journal, Origin, change_record

    plan = {
        "id": "bench0000001", "change": "scale", "summary": "scale api in prod: 6 -> 8",
        "env": "prod", "account_id": config.environment("prod").account_id,
        "region": "eu-west-1", "access": "deploy", "params": {"service": "api", "count": 8},
        "diffs": [{"resource": "prod/ecs/service/api/api", "field": "desiredCount",
                   "before": 6, "after": 8}],
        "created_at": "2026-11-20T10:00:00.000Z",
    }  # fmt: skip
    for kind in ("intent", "outcome"):
        record = change_record(
            kind,
            plan,
            actor=Actor("alice"),
            origin=Origin(),
            role="deploy",
            outcome="applied" if kind == "outcome" else None,
            attempt="bench",
        )
        record["at"] = "2026-11-20T10:00:00.000Z"
        Journal(path).append(record)


def timed(ws: Ws, runs: int) -> tuple[float, float, int]:
    from opskit.costs import build_report

    cpu, wall, steps = [], [], 0
    for _ in range(runs):
        c, w = time.process_time(), time.perf_counter()
        report = build_report(ws, months=2, by="env,service", today=TODAY)
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
        steps = len(report.explained)
    return min(cpu), min(wall), steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--line-items", type=int, default=None)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import sys

    sys.path.insert(0, str(REPO / "tests" / "costs"))
    from costs_support import NoAws, with_costs

    from opskit.config import load_config
    from sandbox.billing import costdata

    config = load_config(REPO / "environments.toml")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cur"
        costdata.write_local(costdata.bill_spec(config, TODAY, args.line_items), root)
        cfg = with_costs(config, source="cur", cur_path=str(root))
        base = Ws(cfg, NoAws(), Path(tmp) / "s1", Path(tmp) / "none.jsonl")
        joined = Ws(cfg, NoAws(), Path(tmp) / "s2", Path(tmp) / "journal.jsonl")
        journal(joined.journal_path, config)
        b_cpu, b_wall, _ = timed(base, args.runs)
        j_cpu, j_wall, steps = timed(joined, args.runs)
        size = args.line_items or "sandbox size"
        print(f"bill: 13 months, {size} line items; best of {args.runs} builds")
        print(f"baseline (no journal):   cpu {b_cpu:6.2f} s  wall {b_wall:6.2f} s")
        print(
            f"with the journal join:   cpu {j_cpu:6.2f} s  wall {j_wall:6.2f} s"
            f"  ({j_cpu / b_cpu:.2f}x cpu, {steps} step(s) found)"
        )


if __name__ == "__main__":
    main()
