"""Sandbox cold start to first answer, against plain moto as the baseline.

    .venv/bin/python benchmarks/sandbox_start.py [--scale normal|large] [--runs 3]

Prints seconds for: plain moto (a fresh process importing moto, starting its server and
answering one AssumeRole and one ListClusters: the floor);
the bare sandbox (process + identities, no estate); the full sandbox (``ensure_running``
until it answers, then alice's first AssumeRole and ListClusters in dev); an idempotent
``ensure_running`` on the running sandbox; and ``stop``. Each start uses a fresh state dir.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import boto3

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "environments.toml"
_PLAIN_MOTO = """
import logging, boto3
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.ERROR)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
host, port = server.get_host_and_port()
keys = dict(aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x")
url = f"http://{host}:{port}"
sts = boto3.client("sts", region_name="eu-west-1", endpoint_url=url, **keys)
sts.assume_role(RoleArn="arn:aws:iam::222222222222:role/r", RoleSessionName="alice")
boto3.client("ecs", region_name="eu-west-1", endpoint_url=url, **keys).list_clusters()
"""


def plain_moto() -> float:
    """A fresh process: import moto, start its server, AssumeRole and ListClusters."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", _PLAIN_MOTO], check=True)
    return time.perf_counter() - began


def first_answer(info: object) -> None:
    """alice's first AssumeRole into dev and first ListClusters there."""
    alice = info.user("alice")  # type: ignore[attr-defined]
    endpoint, region = info.endpoint_url, info.region  # type: ignore[attr-defined]
    sts = boto3.client(
        "sts", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=alice.access_key_id, aws_secret_access_key=alice.secret_access_key,
    )  # fmt: skip
    role = info.roles["dev"]["read"]  # type: ignore[attr-defined]
    creds = sts.assume_role(RoleArn=role, RoleSessionName="alice")["Credentials"]
    boto3.client(
        "ecs", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    ).list_clusters()  # fmt: skip


def measure(scale: str, bare: bool) -> dict[str, float]:
    from sandbox.process import ensure_running, stop

    with tempfile.TemporaryDirectory(prefix="opskit-bench-") as folder:
        state = Path(folder)
        began = time.perf_counter()
        info = ensure_running(CONFIG, state, scale=scale, bare=bare, owner_pid=None)
        started = time.perf_counter()
        first_answer(info)
        answered = time.perf_counter()
        ensure_running(CONFIG, state)
        again = time.perf_counter()
        stop(state)
        stopped = time.perf_counter()
    return {
        "ready": started - began,
        "first answer": answered - began,
        "ensure_running (running)": again - answered,
        "stop": stopped - again,
    }


def summary(label: str, runs: list[float]) -> str:
    spread = f"  (min {min(runs):.2f}, max {max(runs):.2f})" if len(runs) > 1 else ""
    return f"  {label:<28} {statistics.median(runs):7.2f} s{spread}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=("normal", "large"), default="normal")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)

    def repeat(what: Callable[[], dict[str, float]]) -> dict[str, list[float]]:
        results: dict[str, list[float]] = {}
        for _ in range(args.runs):
            for key, value in what().items():
                results.setdefault(key, []).append(value)
        return results

    print(f"sandbox cold start, {args.runs} run(s), scale {args.scale} (median seconds)")
    print("baseline: plain moto in a fresh process")
    print(summary("start to first answer", [plain_moto() for _ in range(args.runs)]))
    for label, bare in (("bare sandbox (identities only)", True), ("full sandbox", False)):
        print(label)
        for key, runs in repeat(functools.partial(measure, args.scale, bare)).items():
            print(summary(key, runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
