"""`opskit show SERVICE`: each container's CPU and memory as CloudWatch holds them.

Run as a user runs it (the installed entry point, over HTTP); expected figures are read with
boto3 from CloudWatch (Container Insights' documented metrics and dimensions), before and
after the command, never from opskit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from insights_reads import FIGURES, candidates, container_reads

OPSKIT = str(Path(sys.executable).parent / "opskit")
pytestmark = pytest.mark.slow


def opskit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [OPSKIT, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def running(ecs: Any, cluster: str, group: str) -> list[tuple[str, str, list[str]]]:
    """(task id, family, container names) of the RUNNING tasks of ``group``."""
    arns = ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
    return [
        (
            t["taskArn"].rsplit("/", 1)[-1],
            t["taskDefinitionArn"].rsplit("/", 1)[-1].rsplit(":", 1)[0],
            [c["name"] for c in t["containers"]],
        )
        for t in tasks
        if t["group"] == group and t["lastStatus"] == "RUNNING"
    ]


def published(ecs: Any, cloudwatch: Any, cluster: str, group: str) -> list[Any]:
    """``running(...)`` once CloudWatch holds every container's figures: a task started a
    moment ago (another test scaled the service) has none until its first minute lands."""
    deadline = time.monotonic() + 60
    while True:
        tasks = running(ecs, cluster, group)
        reads = container_reads(cloudwatch, cluster, tasks)
        complete = all(candidates(reads, t, c, 1) for t, _, names in tasks for c in names)
        if (tasks and complete) or time.monotonic() > deadline:
            return tasks
        time.sleep(1)


def test_show_json_carries_each_containers_figures_as_numbers(
    sandbox_env: dict[str, str], alice: Any
) -> None:
    ecs, cloudwatch = alice.client("ecs", env="prod"), alice.client("cloudwatch", env="prod")
    tasks = published(ecs, cloudwatch, "app", "service:app-web")
    before = container_reads(cloudwatch, "app", tasks)
    done = opskit(sandbox_env, "show", "app-web", "--env", "prod", "-o", "json")
    after = container_reads(cloudwatch, "app", tasks)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["container_metrics"]
    assert found["cluster"] == "app" and found["insights"] == "enhanced" and not found["note"]
    shown = {(u["task"], u["container"]): u for u in found["containers"]}
    checked = 0
    for task_id, _, containers in tasks:
        assert set(containers) == {"app-web", "datadog-agent"}  # the sidecar too
        for name in containers:
            usage = shown.get((task_id, name))
            if usage is None:  # a task that started after opskit listed them
                continue
            figures = {figure: usage[figure] for figure in FIGURES}
            assert isinstance(figures["cpu_used"], float | int), usage  # numbers, not text
            assert isinstance(figures["memory_used"], float | int), usage
            assert isinstance(figures["cpu_reserved"], int), usage  # units, as README says
            assert isinstance(figures["memory_reserved"], int), usage
            rounded = {k: round(v, 3) for k, v in figures.items()}
            assert rounded in candidates(before, task_id, name, 3) + candidates(
                after, task_id, name, 3
            ), (usage, before, after)
            assert usage["memory_percent"] == round(
                100 * usage["memory_used"] / usage["memory_reserved"], 1
            )
            checked += 1
    assert checked >= 2


def test_show_table_prints_cpu_and_memory_of_each_container(
    sandbox_env: dict[str, str], alice: Any
) -> None:
    ecs, cloudwatch = alice.client("ecs", env="dev"), alice.client("cloudwatch", env="dev")
    tasks = published(ecs, cloudwatch, "app", "service:app-web")
    before = container_reads(cloudwatch, "app", tasks)
    done = opskit(sandbox_env, "show", "app-web", "--env", "dev")  # piped: tab-separated
    after = container_reads(cloudwatch, "app", tasks)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\nContainers\n", 1)[1].split("\n\n", 1)[0].splitlines()
    header = lines[0].split("\t")
    assert header[-2:] == ["CPU", "MEMORY"]
    rows = [dict(zip(header, line.split("\t"), strict=True)) for line in lines[1:]]
    # The running tasks' containers (a task another test stopped a moment ago shows "-")
    live = {task_id for task_id, _, _ in tasks}
    rows = [r for r in rows if r["TASK"] in live]
    assert {r["CONTAINER"] for r in rows} == {"app-web", "datadog-agent"}
    for row in rows:
        cpu_used, _, rest = row["CPU"].partition("/")
        cpu_reserved = rest.split(" ")[0]
        memory_used, _, rest = row["MEMORY"].partition("/")
        memory_reserved = rest.split(" ")[0]
        seen = {
            "cpu_used": float(cpu_used),
            "cpu_reserved": float(cpu_reserved),
            "memory_used": float(memory_used),
            "memory_reserved": float(memory_reserved),
        }
        expected = candidates(before, row["TASK"], row["CONTAINER"], 1) + candidates(
            after, row["TASK"], row["CONTAINER"], 1
        )
        assert seen in expected, (row, expected)
        assert row["MEMORY"].endswith("%)") and " MiB (" in row["MEMORY"]


def test_show_says_when_container_insights_is_off(sandbox_env: dict[str, str], alice: Any) -> None:
    ecs = alice.client("ecs", env="stage", region="us-east-1")
    cluster = ecs.describe_clusters(clusters=["edge"], include=["SETTINGS"])["clusters"][0]
    assert {"name": "containerInsights", "value": "disabled"} in cluster["settings"]
    table = opskit(sandbox_env, "show", "edge-proxy", "--env", "stage")
    assert table.returncode == 0, table.stderr
    assert "container metrics: Container Insights off for cluster edge" in table.stdout
    containers = table.stdout.split("\nContainers\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len(containers) > 1 and all(
        line.endswith("\tinsights off\tinsights off") for line in containers[1:]
    )
    done = opskit(sandbox_env, "show", "edge-proxy", "--env", "stage", "-o", "json")
    found = json.loads(done.stdout)["container_metrics"]
    assert found["insights"] == "disabled" and found["containers"] == []
    assert found["note"] == "Container Insights off for cluster edge"


def test_unreadable_container_metrics_warn_and_fail_nothing(
    sandbox_env: dict[str, str], sandbox: Any, sandbox_faults: Any
) -> None:
    prod = sandbox.accounts["prod"]
    sandbox_faults.set(service="cloudwatch", operation="GetMetricData", kind="deny", account=prod)
    done = opskit(sandbox_env, "show", "app-web", "--env", "prod", "-o", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["container_metrics"] is None
    assert any(
        line.startswith("opskit: warning: prod:") and "containers" in line
        for line in done.stderr.splitlines()
    ), done.stderr
