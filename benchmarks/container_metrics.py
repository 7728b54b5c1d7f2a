"""Benchmark: what per-container CPU and memory cost: opskit's calls, and the sandbox's CPU.

    .venv/bin/python benchmarks/container_metrics.py [--scale normal|large] [--runs 5]
        [--seconds 60] [--state-dir DIR]

Starts its own sandbox (unless ``--state-dir`` names a running one). Printed, each next to
its baseline measured in the same run:

1. ``opskit show SERVICE`` as the CLI reads it (``--service``, default ``app-web`` in prod),
   ``--runs`` times: the service at detail depth alone (baseline), then with its
   containers' figures: median seconds and calls by operation.
2. A task view left open: one ``ContainerReader`` asked every second for ``--views``
   seconds within one CloudWatch period: calls by operation (the dashboard's refresh never
   asks; this is the whole cost of an open task view per minute).
3. The sandbox server's CPU (from /proc) over ``--seconds`` with Container Insights
   ``enhanced`` on its clusters (as seeded, baseline: none of this branch's emission is
   switched off) and then over as long with every cluster set to ``disabled``
   (UpdateClusterSettings as admin): the difference is what publishing the per-task and
   per-container metrics costs. Also: how many ``ECS/ContainerInsights`` series exist.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "environments.toml"


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) process ``pid`` has used, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def counted(accounts: Any, work: Callable[[], Any]) -> tuple[float, Counter[str]]:
    before = Counter(accounts.calls.by_operation())
    began = time.perf_counter()
    work()
    took = time.perf_counter() - began
    after = Counter(accounts.calls.by_operation())
    return took, after - before


def show_cost(workspace: Any, env: str, service: str, runs: int) -> None:
    from opskit.estate.collect import Estate
    from opskit.estate.container_metrics import ContainerReader, with_container_metrics

    estate = Estate(workspace.accounts, utilization=True)
    state = estate.service(env, service)  # warm: clients, sessions, the sandbox's backends
    plain: list[tuple[float, Counter[str]]] = []
    both: list[tuple[float, Counter[str]]] = []
    for _ in range(runs):
        plain.append(counted(workspace.accounts, lambda: estate.service(env, service)))

        def with_figures() -> None:
            reader = ContainerReader(workspace.accounts)  # a new `opskit show`: no cache
            with_container_metrics(reader, env, estate.service(env, service))

        both.append(counted(workspace.accounts, with_figures))
    print(f"\n1. opskit show {service} --env {env} ({len(state.tasks)} tasks, median of {runs})")
    for label, runs_of in (("baseline: service only", plain), ("with container figures", both)):
        seconds = statistics.median(t for t, _ in runs_of)
        calls = runs_of[-1][1]
        print(f"   {label:<26} {seconds:7.3f} s  {sum(calls.values()):3} calls")
    added = both[-1][1] - plain[-1][1]
    print("   calls added:", ", ".join(f"{k} {v}" for k, v in sorted(added.items())) or "none")


def view_cost(workspace: Any, env: str, service: str, seconds: int) -> None:
    from opskit.estate.collect import Estate
    from opskit.estate.container_metrics import ContainerReader

    state = Estate(workspace.accounts, utilization=False).service(env, service)
    running = [t for t in state.tasks if t.last_status == "RUNNING"][:1]
    reader = ContainerReader(workspace.accounts, period=60)

    def keep_open() -> None:
        for _ in range(seconds):
            reader.read(env, state.cluster, running)
            time.sleep(1)

    _, calls = counted(workspace.accounts, keep_open)
    asks = seconds
    print(f"\n2. a task view open {seconds} s, asking every second ({asks} asks, one period)")
    print(f"   baseline (a read per ask)  {asks * 2:3} calls")
    print(f"   with the reader's cache    {sum(calls.values()):3} calls:",
          ", ".join(f"{k} {v}" for k, v in sorted(calls.items())))  # fmt: skip


def sandbox_cost(workspace: Any, pid: int, seconds: int) -> None:
    accounts, config = workspace.accounts, workspace.config
    clusters: list[tuple[str, str, str]] = []
    series = 0
    for env in config.env_names():
        for region in config.environment(env).regions:
            ecs = accounts.client(env, "ecs", access="admin", region=region)
            for arn in ecs.list_clusters()["clusterArns"]:
                clusters.append((env, region, arn.rsplit("/", 1)[-1]))
            cloudwatch = accounts.client(env, "cloudwatch", region=region)
            pages = cloudwatch.get_paginator("list_metrics").paginate(
                Namespace="ECS/ContainerInsights"
            )
            series += sum(len(page["Metrics"]) for page in pages)

    def burn() -> float:
        began = server_cpu(pid)
        time.sleep(seconds)
        return server_cpu(pid) - began

    memory = rss_mb(pid)
    print(f"\n3. sandbox server CPU over {seconds} s ({len(clusters)} clusters, {series} "
          f"ECS/ContainerInsights series incl. hosts; server RSS {memory:.0f} MB)")  # fmt: skip
    enhanced = burn()
    for env, region, cluster in clusters:
        ecs = accounts.client(env, "ecs", access="admin", region=region)
        ecs.update_cluster_settings(
            cluster=cluster, settings=[{"name": "containerInsights", "value": "disabled"}]
        )
    disabled = burn()
    for label, used in (("all clusters disabled (baseline)", disabled), ("enhanced", enhanced)):
        print(f"   {label:<34} {used:6.2f} s CPU  {100 * used / seconds:5.1f} % of a core")
    print(f"   publishing per-container metrics: {100 * (enhanced - disabled) / seconds:+.1f} % "
          "of a core")  # fmt: skip


def emit_cost(repeat: int = 10) -> None:
    import random
    from datetime import UTC, datetime, timedelta
    from types import SimpleNamespace as NS

    from sandbox.seed import container_metrics, metrics
    from sandbox.seed.cloudwatch import MetricStore

    hosts = tuple(f"host-{n}" for n in range(4))
    tasks, services, running = {}, [], []
    for number in range(100):
        name = f"api-orders-{number:02d}"
        profile = metrics.profile_for(name, "prod", 3)
        service = NS(name=name, cluster_name="api", status="ACTIVE", _opskit_profile=profile)
        services.append(service)
        dims = (("ClusterName", "api"), ("ServiceName", name))
        running.append(metrics._RunningService(service, dims, 256, 512, hosts[:3]))
        for index in range(3):
            containers = [NS(name=name, cpu=256, memory=512)]
            if number % 10 == 0:
                containers.append(NS(name="datadog-agent", cpu=64, memory=256))
            task_id = f"{number:04d}{index:028d}"
            tasks[task_id] = NS(
                id=task_id, group=f"service:{name}", last_status="RUNNING", cpu="256",
                memory="512", containers=containers,
                started_at=datetime.now(UTC) - timedelta(hours=1),
                task_definition_arn=f"arn:aws:ecs:eu-west-1:1:task-definition/{name}:1",
            )  # fmt: skip
    settings = [{"name": "containerInsights", "value": "enhanced"}]
    ecs = NS(
        clusters={"api": NS(settings=settings)}, tasks={"api": tasks},
        services={f"api:{s.name}": s for s in services}, account_id="1", region_name="eu-west-1",
    )  # fmt: skip
    state = metrics.ClusterState(
        "api", tuple(running),
        tuple(metrics._Host((("ClusterName", "api"), ("ContainerInstanceId", h),
                             ("EC2InstanceId", f"i-{h}")), (("InstanceId", f"i-{h}"),), h,
                            16384.0, 65536.0) for h in hosts),
        (),
    )  # fmt: skip
    rng, now = random.Random(1), time.time()

    def cpu_ms(work: Callable[[MetricStore, float], int]) -> tuple[float, int]:
        store, written = MetricStore(), 0
        began = time.process_time()
        for minute in range(repeat):
            written = work(store, now + 60 * minute)
        return 1000 * (time.process_time() - began) / repeat, written

    base_ms, base_points = cpu_ms(
        lambda store, when: metrics.emit(state, metrics.ClusterSeries(store, "api"), when, rng)
    )
    ours_ms, ours_points = cpu_ms(
        lambda store, when: container_metrics.emit(ecs, "api", store, when, rng)
    )
    print("\n4. one emission of a 300-task cluster, in process (mean of "
          f"{repeat})")  # fmt: skip
    print(
        f"   baseline: service/cluster/host metrics {base_ms:6.1f} ms CPU  {base_points:6} points"
    )
    print(f"   Container Insights per task/container  {ours_ms:6.1f} ms CPU  {ours_points:6} points"
          f"  (9 clusters a minute: {100 * 9 * ours_ms / 1000 / 60:.2f} % of a core)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=("normal", "large"), default="normal")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--views", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--env", default="prod")
    parser.add_argument("--service", default="app-web")
    parser.add_argument("--state-dir")
    parser.add_argument("--emit-only", action="store_true", help="only section 4 (no server)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    if args.emit_only:
        emit_cost()
        return
    own = args.state_dir is None
    state = Path(args.state_dir or tempfile.mkdtemp(prefix="opskit-containers-bench-"))
    os.environ["OPSKIT_STATE_DIR"] = str(state)
    sys.path.insert(0, str(REPO))
    from opskit.workspace import open_workspace
    from sandbox.process import ensure_running, stop

    began = time.perf_counter()
    info = ensure_running(CONFIG, state, scale=args.scale, owner_pid=os.getpid() if own else None)
    print(f"{args.scale} sandbox ready in {time.perf_counter() - began:.0f} s", flush=True)
    try:
        workspace = open_workspace(CONFIG, user="alice")
        show_cost(workspace, args.env, args.service, args.runs)
        view_cost(workspace, args.env, args.service, args.views)
        sandbox_cost(workspace, info.pid, args.seconds)
        emit_cost()
    finally:
        if own:
            stop(state)
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
