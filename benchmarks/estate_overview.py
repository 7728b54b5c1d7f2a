"""Benchmark: one full overview refresh of the large sandbox estate, against the floor and
against a naive collector, with no added latency and with 30 ms added to every AWS call.

    .venv/bin/python benchmarks/estate_overview.py [--keep] [--state-dir DIR] [--skip-naive-latency]

Starts its own large sandbox (3 environments × 3 clusters × 100 services × 3 tasks, 4 hosts
per cluster) in a temporary state directory, then prints:

- API calls by operation of one ``Estate.snapshot()`` next to the floor: the fewest calls
  AWS's page and batch limits allow for what the snapshot holds;
- wall time of that snapshot and of a naive collector (one account after another;
  ListServices with the default page of 10, one DescribeServices per service, ListTasks +
  DescribeTasks per service, GetMetricStatistics per series), in the same run, with no added
  latency and with a 30 ms latency fault on every call (a real AWS round trip).

The naive collector gets its own clients with the client-side rate limiter opened wide (a
peer tool has none); the estate keeps opskit's real limiter.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "environments.toml"


def floor(snapshot: Any, metrics_batch: int = 500) -> dict[str, int]:
    """The fewest calls AWS's limits allow for what ``snapshot`` holds, by operation."""
    out: Counter[str] = Counter()

    def pages(n: int, size: int) -> int:  # a list call costs one page even when empty
        return max(1, math.ceil(n / size))

    for env in snapshot.environments:
        clusters = env.clusters
        out["ecs.ListClusters"] += pages(len(clusters), 100)
        out["ecs.DescribeClusters"] += math.ceil(len(clusters) / 100)
        queries = 0
        for c in clusters:
            tasks = sum(len(s.tasks) for s in c.services)
            out["ecs.ListServices"] += pages(len(c.services), 100)
            out["ecs.DescribeServices"] += math.ceil(len(c.services) / 10)
            out["ecs.ListTasks"] += pages(tasks, 100)
            out["ecs.DescribeTasks"] += math.ceil(tasks / 100)
            out["ecs.ListContainerInstances"] += pages(len(c.instances), 100)
            out["ecs.DescribeContainerInstances"] += math.ceil(len(c.instances) / 100)
            queries += 2 * (1 + len(c.services) + len(c.instances))
        queries += sum(1 for g in env.target_groups if g.load_balancer_arns)
        out["monitoring.GetMetricData"] += math.ceil(queries / metrics_batch)
        out["elasticloadbalancing.DescribeLoadBalancers"] += pages(len(env.load_balancers), 400)
        out["elasticloadbalancing.DescribeTargetGroups"] += pages(len(env.target_groups), 400)
        # one page of listeners per balancer; the sandbox's have one listener (HTTP:80),
        # whose rules (one per service of that concern) fit one page of 400
        out["elasticloadbalancing.DescribeListeners"] += len(env.load_balancers)
        out["elasticloadbalancing.DescribeRules"] += len(env.load_balancers)
        # each family's newest revision: one DescribeTaskDefinition per family; scheduled
        # tasks: the rules and schedules lists (one page each here) and one
        # ListTargetsByRule per rule, one GetSchedule per ECS schedule
        families = {s.task_definition.rsplit(":", 1)[0] for c in clusters for s in c.services}
        out["ecs.DescribeTaskDefinition"] += len(families)
        scheduled = [item for c in clusters for item in c.schedules or ()]
        out["events.ListRules"] += 1
        out["events.ListTargetsByRule"] += len({i.name for i in scheduled if i.source == "rule"})
        out["scheduler.ListSchedules"] += 1
        out["scheduler.GetSchedule"] += sum(1 for i in scheduled if i.source == "schedule")
        zones = {r.zone for r in env.dns}
        out["route53.ListHostedZones"] += 1
        out["route53.ListResourceRecordSets"] += sum(
            pages(sum(1 for r in env.dns if r.zone == z), 300) for z in zones
        )
    return {k: v for k, v in sorted(out.items()) if v}


def naive(accounts: Any, config: Any) -> Counter[str]:
    """The pattern the issue measures peers by: per-service calls, one account at a time."""
    calls: Counter[str] = Counter()
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(hours=1)
    for env in config.env_names():
        ecs = accounts.client(env, "ecs")
        cw = accounts.client(env, "cloudwatch")
        elb = accounts.client(env, "elbv2")
        dns = accounts.client(env, "route53")

        def stat(namespace: str, metric: str, dims: dict[str, str], cw: Any = cw) -> None:
            cw.get_metric_statistics(
                Namespace=namespace, MetricName=metric, StartTime=start, EndTime=now,
                Period=60, Statistics=["Average"],
                Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
            )  # fmt: skip
            calls["GetMetricStatistics"] += 1

        for arn in ecs.list_clusters()["clusterArns"]:
            calls["ListClusters"] += 1
            cluster = ecs.describe_clusters(clusters=[arn])["clusters"][0]["clusterName"]
            calls["DescribeClusters"] += 1
            services, token = [], None
            while True:  # the default page: 10
                page = ecs.list_services(cluster=arn, **({"nextToken": token} if token else {}))
                calls["ListServices"] += 1
                services += page["serviceArns"]
                token = page.get("nextToken")
                if not token:
                    break
            for service_arn in services:
                name = ecs.describe_services(cluster=arn, services=[service_arn])["services"][0][
                    "serviceName"
                ]
                calls["DescribeServices"] += 1
                tasks = ecs.list_tasks(cluster=arn, serviceName=name)["taskArns"]
                calls["ListTasks"] += 1
                if tasks:
                    ecs.describe_tasks(cluster=arn, tasks=tasks)
                    calls["DescribeTasks"] += 1
                for metric in ("CPUUtilization", "MemoryUtilization"):
                    stat("AWS/ECS", metric, {"ClusterName": cluster, "ServiceName": name})
            hosts = ecs.list_container_instances(cluster=arn)["containerInstanceArns"]
            calls["ListContainerInstances"] += 1
            for host in ecs.describe_container_instances(cluster=arn, containerInstances=hosts)[
                "containerInstances"
            ]:
                ci = host["containerInstanceArn"].rsplit("/", 1)[-1]
                dims = {"ClusterName": cluster, "ContainerInstanceId": ci,
                        "EC2InstanceId": host["ec2InstanceId"]}  # fmt: skip
                for metric in ("instance_cpu_utilization", "instance_memory_utilization"):
                    stat("ECS/ContainerInsights", metric, dims)
            calls["DescribeContainerInstances"] += 1
            for metric in ("CPUUtilization", "MemoryUtilization"):
                stat("AWS/ECS", metric, {"ClusterName": cluster})
        elb.describe_load_balancers()
        elb.describe_target_groups()
        calls["DescribeLoadBalancers"] += 1
        calls["DescribeTargetGroups"] += 1
        for zone in dns.list_hosted_zones()["HostedZones"]:
            dns.list_resource_record_sets(HostedZoneId=zone["Id"])
            calls["ListResourceRecordSets"] += 1
        calls["ListHostedZones"] += 1
    return calls


def run(args: argparse.Namespace) -> None:
    own = args.state_dir is None
    state = Path(args.state_dir or tempfile.mkdtemp(prefix="opskit-bench-"))
    os.environ["OPSKIT_STATE_DIR"] = str(state)
    from opskit.accounts import Accounts
    from opskit.accounts.ratelimit import RateLimiter
    from opskit.estate.collect import Estate
    from opskit.workspace import cache_dir, open_workspace
    from sandbox.control import clear_faults, set_fault
    from sandbox.process import ensure_running, stop

    began = time.perf_counter()
    info = ensure_running(CONFIG, state, scale="large", owner_pid=os.getpid() if own else None)
    print(f"large sandbox ready in {time.perf_counter() - began:.0f} s", flush=True)
    try:
        ws = open_workspace(CONFIG)
        estate = Estate(ws.accounts)
        estate.snapshot()  # warm: roles assumed, clients made, moto backends loaded
        slow = Accounts(ws.config, ws.accounts.login, cache_dir=cache_dir())
        slow.limiter = RateLimiter(scale=1000.0)
        naive(slow, ws.config)  # warm the naive collector's clients too

        snapshot = estate.snapshot()
        _report_calls(snapshot)
        rows = [_measure("no added latency", estate, slow, ws.config, info.pid, naive_too=True)]
        set_fault(info, service="*", operation="*", kind="latency", delay_ms=30)
        try:
            rows.append(
                _measure("30 ms per call", estate, slow, ws.config, info.pid,
                         naive_too=not args.skip_naive_latency)
            )  # fmt: skip
        finally:
            clear_faults(info)
        print(
            f"\nwall time of one full overview refresh (3 accounts; best of 3 for the estate; "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f})"
        )
        print(f"{'':>18} {'estate':>9} {'naive':>9} {'speed-up':>9} {'naive calls':>12}")
        for label, fast, slow_s, slow_calls in rows:
            ratio = f"{slow_s / fast:.0f}x" if slow_s else "-"
            slow_text = f"{slow_s:.2f}s" if slow_s else "skipped"
            print(f"{label:>18} {fast:>8.2f}s {slow_text:>9} {ratio:>9} {slow_calls:>12}")
    finally:
        if own and not args.keep:
            stop(state)
            shutil.rmtree(state, ignore_errors=True)
        elif own:
            print(f"sandbox kept: OPSKIT_STATE_DIR={state}")


def server_cpu(pid: int) -> float:
    """CPU seconds the sandbox server process has used (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _measure(
    label: str, estate: Any, slow: Any, config: Any, pid: int, *, naive_too: bool
) -> tuple[str, float, float, int]:
    times = []
    for _ in range(3):
        server, client = server_cpu(pid), time.process_time()
        snap = estate.snapshot()
        assert snap.complete, snap.errors
        times.append(snap.seconds)
        print(f"{label}: estate snapshot {snap.seconds:.2f}s wall, client CPU "
              f"{time.process_time() - client:.2f}s, sandbox CPU {server_cpu(pid) - server:.2f}s",
              flush=True)  # fmt: skip
    fast = min(times)
    if not naive_too:
        return label, fast, 0.0, 0
    server, client, began = server_cpu(pid), time.process_time(), time.perf_counter()
    calls = naive(slow, config)
    took = time.perf_counter() - began
    print(f"{label}: naive {took:.1f}s wall, {sum(calls.values())} calls, client CPU "
          f"{time.process_time() - client:.2f}s, sandbox CPU {server_cpu(pid) - server:.2f}s",
          flush=True)  # fmt: skip
    return label, fast, took, sum(calls.values())


def _report_calls(snapshot: Any) -> None:
    lowest = floor(snapshot)
    services = sum(len(c.services) for e in snapshot.environments for c in e.clusters)
    tasks = sum(len(s.tasks) for e in snapshot.environments for _, s in e.services())
    print(f"\nestate: {len(snapshot.environments)} envs, {services} services, {tasks} tasks")
    print(f"{'operation':<46} {'calls':>6} {'floor':>6}")
    for op in sorted(set(snapshot.calls) | set(lowest)):
        mark = "" if snapshot.calls.get(op, 0) == lowest.get(op, 0) else "  <-"
        print(f"{op:<46} {snapshot.calls.get(op, 0):>6} {lowest.get(op, 0):>6}{mark}")
    print(f"{'total':<46} {snapshot.total_calls:>6} {sum(lowest.values()):>6}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="Leave the sandbox running.")
    parser.add_argument("--state-dir", help="Use the large sandbox already running there.")
    parser.add_argument("--skip-naive-latency", action="store_true",
                        help="Skip the naive collector at 30 ms (takes minutes).")  # fmt: skip
    run(parser.parse_args())
    sys.exit(0)
