"""Calls per minute while waiting on a deploy of ten services together.

Starts a large sandbox (its own state dir; 100 services per cluster), picks ten services
of one cluster, and deploys a new tag to all ten twice: once waited for by opskit's engine
(DescribeServices batched, 10 names a call; target health and tasks read once a
service's counts add up, until it has settled: old targets drained, new ones healthy),
once by a naive waiter polling each service on its own (DescribeServices,
ListTasks and DescribeTasks per service, as peer tools do). Both poll every 5 s of AWS
time. Prints calls by operation, calls per poll, calls per minute at that poll interval,
and the rate measured in sandbox time.

    .venv/bin/python benchmarks/deploy_wait_calls.py [--env dev] [--time-factor 20]
    baseline (measured here): opskit 1.5 calls/poll (18/min), naive 30.0 (360/min);
    opskit's wait now lasts the 300 s drain of the old targets (~20 s real at factor 20)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVICES = 10


def _ten_services(ws: Any, env: str) -> list[str]:
    """Ten services (CLUSTER/NAME) of one cluster of ``env``: the large estate has 100."""
    ecs = ws.accounts.client(env, "ecs")
    for cluster in ws.config.clusters:
        names: list[str] = []
        for page in ecs.get_paginator("list_services").paginate(cluster=cluster, maxResults=100):
            names += [f"{cluster}/{arn.rsplit('/', 1)[-1]}" for arn in page["serviceArns"]]
        if len(names) >= SERVICES:
            return sorted(names)[:SERVICES]
    raise SystemExit(f"no cluster of {env} has {SERVICES} services; use --scale large")


def _calls(ws: Any) -> Counter[str]:
    return Counter(ws.accounts.calls.by_operation())


def _opskit_wait(
    ws: Any, env: str, services: list[str], tag: str
) -> tuple[Counter[str], float, int]:
    from opskit.changes import Engine
    from opskit.changes.deploy import DeployChange

    engine = Engine.from_workspace(ws)
    plan = engine.plan(DeployChange(env, tuple(services), (tag,)))
    change = DeployChange.from_plan(plan)
    ctx = engine.context()
    applied = change.apply(ctx, plan)
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # every poll but the last sleeps once
        slept.append(seconds)
        time.sleep(seconds)

    ctx.sleep = sleep
    before, started = _calls(ws), time.monotonic()
    result = change.verify(ctx, plan, applied)
    elapsed = time.monotonic() - started
    if result.outcome != "applied":
        raise SystemExit(f"deploy did not settle: {result.detail}")
    return _calls(ws) - before, elapsed, len(slept) + 1


def _naive_wait(
    ws: Any, env: str, services: list[str], tag: str, poll: float
) -> tuple[Counter[str], float, int]:
    from opskit.changes import Engine
    from opskit.changes.deploy import DeployChange
    from opskit.changes.waiting import deployment_state

    engine = Engine.from_workspace(ws)
    plan = engine.plan(DeployChange(env, tuple(services), (tag,)))
    change = DeployChange.from_plan(plan)
    applied = change.apply(engine.context(), plan)
    ids = {s["resource"]: s["deployment"] for s in applied.data["services"]}
    ecs = ws.accounts.client(env, "ecs")
    before, started, polls = _calls(ws), time.monotonic(), 0
    pending = dict(ids)
    while pending:
        polls += 1
        for resource, deployment in list(pending.items()):
            cluster, name = resource.split("/")[-2:]
            service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
            arns = ecs.list_tasks(cluster=cluster, serviceName=name)["taskArns"]
            if arns:
                ecs.describe_tasks(cluster=cluster, tasks=arns)
            state, message = deployment_state(service, deployment)
            if state == "failed":
                raise SystemExit(f"naive wait: {name}: {message}")
            if state == "done":
                del pending[resource]
        if pending:
            time.sleep(poll)
    return _calls(ws) - before, time.monotonic() - started, polls


def _report(label: str, calls: Counter[str], seconds: float, polls: int, factor: float) -> float:
    """Print one waiter's figures; return its calls per poll."""
    total = sum(calls.values())
    per_poll = total / polls
    measured = total / (seconds * factor / 60)
    ops = ", ".join(f"{op.split('.')[-1]} {n}" for op, n in sorted(calls.items()))
    print(
        f"{label:7} {polls:3} polls {total:4} calls  {per_poll:5.1f}/poll  "
        f"{per_poll * 12:6.0f}/min at a 5 s poll  ({measured:5.0f}/min measured)  [{ops}]"
    )
    return per_poll


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="dev")
    parser.add_argument("--scale", choices=("normal", "large"), default="large")
    parser.add_argument("--time-factor", type=float, default=20.0)
    args = parser.parse_args()

    from opskit.config import load_config
    from opskit.workspace import open_workspace
    from sandbox.process import ensure_running, stop

    state = Path(tempfile.mkdtemp(prefix="opskit-bench-"))
    os.environ["OPSKIT_STATE_DIR"] = str(state)
    base = load_config(ROOT / "environments.toml")
    config = base.model_copy(
        update={"sandbox": base.sandbox.model_copy(update={"time_factor": args.time_factor})}
    )
    print(f"starting a {args.scale} sandbox in {state} (time factor {args.time_factor:g})")
    began = time.monotonic()
    ensure_running(
        config, state, scale=args.scale, time_factor=args.time_factor, owner_pid=os.getpid()
    )
    print(f"sandbox up in {time.monotonic() - began:.0f} s")
    try:
        ws = open_workspace(user="alice", config=config)
        services = _ten_services(ws, args.env)
        print(f"deploying {len(services)} services in {args.env} together: {', '.join(services)}")
        poll = 5.0 / args.time_factor
        ours = _opskit_wait(ws, args.env, services, "bench-1")
        naive = _naive_wait(ws, args.env, services, "bench-2", poll)
        print(f"poll every {poll:.2f} s here = 5 s of AWS time; while waiting:")
        a = _report("opskit", *ours, args.time_factor)
        b = _report("naive", *naive, args.time_factor)
        print(f"opskit makes {b / a:.1f}x fewer calls per poll than the naive waiter")
    finally:
        stop(state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
