"""CPU to make the boto3 clients of one command: a loader per session vs one shared loader.

    .venv/bin/python benchmarks/shared_models.py [--sessions 9] [--runs 3]

Each run is a fresh process (nothing cached from an earlier run) that creates ``--sessions``
botocore sessions (opskit keeps one per environment and access level: 3 x 3 here) and an
ECS, ELBv2, CloudWatch and STS client in each, offline (no call is made). The baseline, in
the same run, is botocore's own loader per session (what opskit did before
``opskit.accounts.shared_models``); then the shared loader. Prints CPU seconds per run.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

_CHILD = """
import sys, time
import boto3, botocore.session
from opskit.accounts.shared_models import core_session
shared = sys.argv[1] == "shared"
began = time.process_time()
for _ in range(int(sys.argv[2])):
    core = core_session() if shared else botocore.session.get_session()
    session = boto3.Session(botocore_session=core, region_name="eu-west-1",
                            aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x")
    for service in ("ecs", "elbv2", "cloudwatch", "sts"):
        session.client(service, endpoint_url="http://127.0.0.1:9")
print(time.process_time() - began)
"""


def cpu(mode: str, sessions: int) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, mode, str(sessions)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=9)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"{'loader':<34} {'median CPU s':>12} {'best':>8}   ({args.runs} runs, "
          f"{args.sessions} sessions x 4 clients)")  # fmt: skip
    for label, mode in (("botocore's, per session (baseline)", "own"), ("shared", "shared")):
        took = [cpu(mode, args.sessions) for _ in range(args.runs)]
        print(f"{label:<34} {statistics.median(took):>12.3f} {min(took):>8.3f}")


if __name__ == "__main__":
    main()
