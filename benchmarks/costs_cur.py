"""Benchmark: the CUR backend against DuckDB on the same report over the same parquet.

Generates a CUR 2.0 bill (65 columns, 13 months; the sandbox's generator at a larger
size) into a folder, optionally reshaped unlike the generator (``--shape wide``: 65 files,
8 tags per line with skewed and high-cardinality values, see ``cur_shapes.py``), then
runs, each in a fresh process so peak memory is its own, for every ``--by`` grouping:
opskit's CUR path (pyarrow/Acero streaming, only the needed columns) and DuckDB running
the report's Athena SQL, both doing what ``opskit costs`` does (the monthly query and the
daily pass of the last 60 days). Optionally also the naive way (whole frames in pandas).
Prints wall and CPU time, peak RSS (VmHWM), the ratios and the load average (wall times
on a shared machine are noisy: CPU time is the steadier figure); checks both give the
same totals. Aim (issue 15): within 1.2x of DuckDB's wall time, under 400 MB peak.

    .venv/bin/python benchmarks/costs_cur.py                      # 1M line items, quick
    .venv/bin/python benchmarks/costs_cur.py --line-items 10000000 --dir /tmp/bill --shape wide
    .venv/bin/python benchmarks/costs_cur.py --dir /tmp/bill --copies 10 --only ours  # 100M
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, cast

REPO = Path(__file__).resolve().parents[1]
TODAY = dt.date(2025, 11, 26)
BY = os.environ.get("OPSKIT_BENCH_BY", "env,service,tag:team")
GROUPINGS = ["env", "env,service", "env,service,tag:team", "env,tag:owner"]
DAILY_SINCE = TODAY - dt.timedelta(days=60)


def generate(root: Path, line_items: int) -> dict[str, Any]:
    from opskit.config import load_config
    from sandbox.billing import costdata

    config = load_config(REPO / "environments.toml")
    spec = costdata.bill_spec(config, today=TODAY, line_items=line_items)
    began = time.perf_counter()
    files = costdata.write_local(spec, root, row_group_size=262_144)
    import pyarrow.parquet as pq

    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    columns = len(pq.read_schema(files[0]))
    size = sum(f.stat().st_size for f in files)
    return {
        "seconds": time.perf_counter() - began,
        "rows": rows,
        "columns": columns,
        "bytes": size,
        "files": len(files),
    }


def peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def by() -> str:
    return os.environ.get("OPSKIT_BENCH_BY", BY)


def run_ours(root: Path) -> dict[str, Any]:
    from opskit.costs.allocator import prefer_lean_allocator

    prefer_lean_allocator()  # as the `opskit` command does before pyarrow loads
    import pyarrow.acero  # noqa: F401  (import cost is not the query's)

    from opskit.costs.cur import CurReader
    from opskit.costs.curfiles import CurLocation
    from opskit.costs.spec import make_spec

    spec = make_spec(months=13, by=by(), source="cur", today=TODAY)
    base, cpu = peak_mb(), cpu_seconds()
    began = time.perf_counter()
    location = CurLocation(str(root), root, lambda: cast("Any", None))
    result = CurReader(location).report(spec, DAILY_SINCE)
    raw = result.raw
    seconds = time.perf_counter() - began
    return {
        "cpu": cpu_seconds() - cpu,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "base_mb": base,
        "groups": len(raw),
        "amortized": float(raw["amortized"].sum()),
        "unblended": float(raw["unblended"].sum()),
    }


def run_duckdb(root: Path) -> dict[str, Any]:
    import duckdb

    from opskit.costs import sql
    from opskit.costs.spec import make_spec, period_of

    spec = make_spec(months=13, by=by(), source="athena", today=TODAY)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA cur")
    con.execute(
        "CREATE VIEW cur.cur2 AS SELECT * FROM "
        f"read_parquet('{root}/**/*.parquet', hive_partitioning = true)"
    )
    con.execute("CREATE MACRO element_at(m, k) AS map_extract(m, k)[1]")
    query = sql.report_sql(sql.table_name("cur", "cur2"), spec.periods, spec.tags)
    base, cpu = peak_mb(), cpu_seconds()
    began = time.perf_counter()
    raw = con.execute(query).df()
    recent = [p for p in spec.periods if p >= period_of(DAILY_SINCE)]
    con.execute(sql.daily_sql(sql.table_name("cur", "cur2"), recent, DAILY_SINCE)).df()
    seconds = time.perf_counter() - began
    return {
        "cpu": cpu_seconds() - cpu,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "base_mb": base,
        "groups": len(raw),
        "amortized": float(raw["amortized"].sum()),
        "unblended": float(raw["unblended"].sum()),
    }


def run_naive(root: Path) -> dict[str, Any]:
    """Whole frames in pandas, amortized row by row in vectorised pandas: the way not to."""
    import pandas as pd

    from opskit.costs import amortize

    base, cpu = peak_mb(), cpu_seconds()
    began = time.perf_counter()
    frames = []
    for path in sorted(root.rglob("*.parquet")):
        frame = pd.read_parquet(path)
        frame["period"] = path.parent.name.split("=")[1]
        frames.append(frame)
    data = pd.concat(frames, ignore_index=True)
    data["amortized"] = data["line_item_unblended_cost"]
    for rule in amortize.RULES:
        hit = data["line_item_line_item_type"] == rule.line_type
        if rule.reservation:
            hit &= data["reservation_reservation_a_r_n"].fillna("") != ""
        rows = cast("list[dict[str, Any]]", data[hit].to_dict("records"))  # columns are str
        data.loc[hit, "amortized"] = [amortize.evaluate(rule.amortized, r) for r in rows]
    data["team"] = [dict(t or []).get("user_team", "") for t in data["resource_tags"]]
    keys = [
        "period",
        "line_item_usage_account_id",
        "line_item_line_item_type",
        "line_item_product_code",
        "team",
    ]
    raw = data.groupby(keys, as_index=False)[["line_item_unblended_cost", "amortized"]].sum()
    seconds = time.perf_counter() - began
    return {
        "cpu": cpu_seconds() - cpu,
        "seconds": seconds,
        "peak_mb": peak_mb(),
        "base_mb": base,
        "groups": len(raw),
        "amortized": float(raw["amortized"].sum()),
        "unblended": float(raw["line_item_unblended_cost"].sum()),
    }


def in_child(kind: str, root: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--dir", str(root)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if done.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def prepare(args: argparse.Namespace, scratch: Path) -> Path:
    """The bill to query: generated (and reshaped, and multiplied) once, kept in --dir."""
    base = args.dir or scratch
    generated = base / "generator"
    if not any(generated.rglob("*.parquet")):
        made = generate(generated, args.line_items)
        print(
            f"generated {made['rows']:,} line items, {made['columns']} columns, "
            f"{made['files']} files, {made['bytes'] / 1e9:.2f} GB in {made['seconds']:.1f} s"
        )
    root = generated
    if args.shape == "wide":
        root = base / "wide"
        if not any(root.rglob("*.parquet")):
            from cur_shapes import reshape

            began = time.perf_counter()
            files = reshape(generated, root)
            print(f"reshaped into {files} files in {time.perf_counter() - began:.1f} s")
    if args.copies > 1:
        root = multiply(root, base / f"{args.shape}-x{args.copies}", args.copies)
    return root


def multiply(source: Path, target: Path, copies: int) -> Path:
    """``copies`` symlinks of every file, in the same billing periods: N times the lines."""
    for path in sorted(source.rglob("*.parquet")):
        folder = target / path.parent.relative_to(source)
        folder.mkdir(parents=True, exist_ok=True)
        for copy in range(copies):
            link = folder / f"{path.stem}-copy{copy:02d}.parquet"
            if not link.exists():
                link.symlink_to(path)
    return target


def describe(root: Path) -> str:
    import pyarrow.parquet as pq

    files = sorted(root.rglob("*.parquet"))
    rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    return f"{rows:,} line items in {len(files)} files"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--line-items", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, help="use (or keep) the bills in this folder")
    parser.add_argument("--shape", choices=["generator", "wide"], default="generator")
    parser.add_argument("--copies", type=int, default=1, help="read every file N times")
    parser.add_argument("--repeat", type=int, default=2, help="runs per contender (best is shown)")
    parser.add_argument("--naive", action="store_true", help="also time whole pandas frames")
    parser.add_argument("--only", choices=["ours", "duckdb"], help="run one contender")
    parser.add_argument(
        "--by", action="append", help=f"a grouping to query (repeatable; default {GROUPINGS})"
    )
    parser.add_argument("--child", choices=["ours", "duckdb", "naive"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        runner = {"ours": run_ours, "duckdb": run_duckdb, "naive": run_naive}[args.child]
        print(json.dumps(runner(args.dir)))
        return
    with tempfile.TemporaryDirectory(prefix="opskit-cur-bench-") as scratch:
        root = prepare(args, Path(scratch))
        print(f"bill: {describe(root)} ({args.shape} shape); best of {args.repeat}")
        contenders = [args.only] if args.only else ["ours", "duckdb"]
        contenders += ["naive"] if args.naive else []
        print(
            f"{'grouping':24s} {'who':7s} {'wall s':>7s} {'CPU s':>6s} {'peak MB':>8s} "
            f"{'groups':>8s}   {'wall':>5s} {'CPU':>5s}  same totals"
        )
        for grouping in args.by or GROUPINGS:
            os.environ["OPSKIT_BENCH_BY"] = grouping  # children read it
            best: dict[str, dict[str, Any]] = {}
            for _ in range(args.repeat):
                for kind in contenders:
                    result = in_child(kind, root)
                    if kind not in best or result["seconds"] < best[kind]["seconds"]:
                        best[kind] = result
            report(grouping, best)
        print(f"load average after measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def report(grouping: str, best: dict[str, dict[str, Any]]) -> None:
    duck = best.get("duckdb")
    for kind, r in best.items():
        ratios, same = "", ""
        if duck is not None and kind != "duckdb":
            ratios = f"{r['seconds'] / duck['seconds']:5.2f}x {r['cpu'] / duck['cpu']:5.2f}x"
            tolerance = 1e-6 * max(1.0, abs(duck["amortized"]))
            same = str(abs(r["amortized"] - duck["amortized"]) < tolerance)
        print(
            f"{grouping:24s} {kind:7s} {r['seconds']:7.2f} {r['cpu']:6.2f} {r['peak_mb']:8.0f} "
            f"{r['groups']:8,}   {ratios:>12s}  {same}"
        )


if __name__ == "__main__":
    main()
