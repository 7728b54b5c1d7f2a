"""The large sandbox estate: how long it takes to seed, and what the simulator costs idle.

Starts ``sandbox.server --scale large`` (3 environments × 3 clusters × 100
services, 3 tasks each, 4 hosts per cluster) in a temporary state directory, then prints:

- wall time until the sandbox answers, and the estate seeder's own time by step (from
  server.log), against the normal estate seeded the same way as the baseline;
- the server's CPU while nobody calls it (the simulator's idle cost: metrics, logs,
  crash loop, target flaps), as a share of one core over ``--idle`` seconds;
- one GetMetricData of 500 queries over the last hour (what a dashboard asks), in seconds.

Run: .venv/bin/python benchmarks/sandbox_large_seed.py [--idle 30] [--no-baseline]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "environments.toml"


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def seeding(state_dir: Path) -> str:
    """The estate seeder's report line from server.log."""
    log = (state_dir / "sandbox" / "server.log").read_text()
    done = re.search(r"seeder opskit\.sandbox\.estate:seed_estate done in ([\d.]+) s", log)
    steps = re.search(r"seconds=\{([^}]*)\}", log)
    total = f"{float(done.group(1)):.1f} s" if done else "?"
    detail = ", ".join(
        f"{name.strip(chr(39))} {float(value):.1f}"
        for name, value in (part.split(": ") for part in steps.group(1).split(", "))
    ) if steps else ""  # fmt: skip
    return f"{total} ({detail})"


def start(scale: str, state_dir: Path) -> tuple[Any, float]:
    from sandbox.process import ensure_running

    began = time.perf_counter()
    info = ensure_running(CONFIG, state_dir, scale=scale, owner_pid=os.getpid())
    return info, time.perf_counter() - began


def clients(info: Any, env: str, *services: str) -> list[Any]:
    """boto3 clients as alice with ``env``'s read role."""
    import boto3

    user = info.user("alice")
    sts = boto3.client(
        "sts",
        region_name=info.region,
        endpoint_url=info.endpoint_url,
        aws_access_key_id=user.access_key_id,
        aws_secret_access_key=user.secret_access_key,
    )
    creds = sts.assume_role(RoleArn=info.roles[env]["read"], RoleSessionName="bench")
    creds = creds["Credentials"]
    return [
        boto3.client(
            service,
            region_name=info.region,
            endpoint_url=info.endpoint_url,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        for service in services
    ]


def metric_data_seconds(info: Any) -> tuple[float, int]:
    """One 500-query GetMetricData (service CPU and memory) in prod: (seconds, points)."""
    cloudwatch, ecs = clients(info, "prod", "cloudwatch", "ecs")
    queries: list[dict[str, Any]] = []
    for cluster in ("api", "cdn", "app"):
        pages = ecs.get_paginator("list_services").paginate(cluster=cluster, maxResults=100)
        for arn in (a for page in pages for a in page["serviceArns"]):
            for metric in ("CPUUtilization", "MemoryUtilization"):
                dims = [
                    {"Name": "ClusterName", "Value": cluster},
                    {"Name": "ServiceName", "Value": arn.split("/")[-1]},
                ]
                stat = {
                    "Metric": {"Namespace": "AWS/ECS", "MetricName": metric, "Dimensions": dims},
                    "Period": 60,
                    "Stat": "Average",
                }
                queries.append({"Id": f"q{len(queries)}", "MetricStat": stat})
    now = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=queries[:500], StartTime=now - dt.timedelta(hours=1), EndTime=now
    )
    points = sum(len(r["Values"]) for r in answer["MetricDataResults"])
    return time.perf_counter() - began, points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--idle", type=float, default=30.0, help="seconds of idle CPU measure")
    parser.add_argument("--no-baseline", action="store_true", help="skip the normal estate")
    args = parser.parse_args()
    from sandbox.process import stop

    scales = ["large"] if args.no_baseline else ["normal", "large"]
    print(f"{'scale':<8} {'ready s':>8} {'idle CPU':>9} {'GMD 500 s':>10}  estate seeder")
    for scale in scales:
        with tempfile.TemporaryDirectory(prefix=f"opskit-bench-{scale}-") as folder:
            state_dir = Path(folder)
            info, ready = start(scale, state_dir)
            try:
                time.sleep(3)  # let the simulator's first jobs pass
                before, began = cpu_seconds(info.pid), time.perf_counter()
                time.sleep(args.idle)
                idle = (cpu_seconds(info.pid) - before) / (time.perf_counter() - began)
                gmd, points = metric_data_seconds(info) if scale == "large" else (0.0, 0)
                gmd_text = f"{gmd:>10.2f}" if points else f"{'-':>10}"
                print(f"{scale:<8} {ready:>8.1f} {idle:>8.1%} {gmd_text}  {seeding(state_dir)}")
            finally:
                stop(state_dir)


if __name__ == "__main__":
    main()
