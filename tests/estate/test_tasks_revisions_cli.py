"""Issue 12's estate shapes as a user meets them, over HTTP: standalone and scheduled tasks,
services behind their family's newest revision, and every container of a task.

Expected values come from boto3 reading the sandbox as alice (what AWS says), never from
opskit's own code.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess

from opskit.config import Config, load_config

ENVS = ("dev", "stage", "prod")
CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(CONFIG)


def opskit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(env, *args)


def ok_json(env: dict[str, str], *args: str) -> Any:
    done = opskit(env, *args, "-o", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def pages(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    return [
        item for page in client.get_paginator(operation).paginate(**params) for item in page[key]
    ]


def live_tasks(ecs: Any, cluster: str) -> list[dict[str, Any]]:
    arns = pages(ecs, "list_tasks", "taskArns", cluster=cluster, desiredStatus="RUNNING")
    found = []
    for start in range(0, len(arns), 100):
        found += ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100])["tasks"]
    return [t for t in found if t["lastStatus"] == "RUNNING"]


@pytest.fixture
def batch(alice: Any) -> Iterator[list[str]]:
    """Three tasks run the way a batch job runs them (RunTask, group ``family:batch``),
    stopped again afterwards so the estate stays as seeded."""
    ecs = alice.client("ecs", env="dev", access="deploy")
    network = ecs.describe_services(cluster="app", services=["app-jobs"])["services"][0][
        "networkConfiguration"
    ]
    ran = ecs.run_task(
        cluster="app", taskDefinition="backfill", count=3, group="family:batch",
        startedBy="ops/batch", launchType="EC2", networkConfiguration=network,
    )["tasks"]  # fmt: skip
    arns = [t["taskArn"] for t in ran]
    assert len(arns) == 3
    yield arns
    for arn in arns:
        ecs.stop_task(cluster="app", task=arn, reason="test over")


def test_standalone_tasks_are_listed_grouped_and_counted(
    sandbox_env: dict[str, str], alice: Any, batch: list[str]
) -> None:
    ecs = alice.client("ecs", env="dev")
    standalone = {
        t["taskArn"].rsplit("/", 1)[-1]: t
        for t in live_tasks(ecs, "app")
        if not t.get("group", "").startswith("service:")
    }
    assert {arn.rsplit("/", 1)[-1] for arn in batch} <= set(standalone)
    rows = ok_json(sandbox_env, "ls", "tasks", "--env", "dev")
    listed = {r["task"]: r for r in rows if r["service"] is None}
    assert set(listed) == set(standalone)
    for task_id, raw in standalone.items():
        row = listed[task_id]
        assert (row["cluster"], row["group"], row["started_by"]) == (
            "app", raw["group"], raw["startedBy"],
        )  # fmt: skip
    # grouped: after the services' tasks, by who started them, then by group
    app_rows = [r for r in rows if r["cluster"] == "app"]
    tail = app_rows[-len(standalone) :]
    assert all(r["service"] is None for r in tail)
    assert [r["started_by"] for r in tail] == sorted(r["started_by"] for r in tail)
    assert {r["started_by"] for r in tail} >= {"ops/batch", "ops/backfill"}
    clusters = {c["cluster"]: c for c in ok_json(sandbox_env, "ls", "clusters", "--env", "dev")}
    app = clusters["app"]
    assert app["standalone"] == len(standalone)
    assert app["tasks"] >= app["standalone"] + 1  # services' tasks and the standalone ones
    services = ok_json(sandbox_env, "ls", "services", "--env", "dev")
    described = {
        s["serviceName"]: s["runningCount"]
        for s in ecs.describe_services(
            cluster="app", services=[r["service"] for r in services if r["cluster"] == "app"]
        )["services"]
    }
    for row in services:
        if row["cluster"] == "app" and row["service"] != "integrations":  # it crash-loops
            assert row["running"] == described[row["service"]]  # never the batch tasks


@pytest.mark.slow
def test_schedules_per_cluster_as_eventbridge_says(sandbox_env: dict[str, str], alice: Any) -> None:
    expected = set()
    for env in ENVS:
        events = alice.client("events", env=env)
        for rule in pages(events, "list_rules", "Rules"):
            for target in pages(events, "list_targets_by_rule", "Targets", Rule=rule["Name"]):
                if "EcsParameters" in target:
                    definition = target["EcsParameters"]["TaskDefinitionArn"].rsplit("/", 1)[-1]
                    cluster = target["Arn"].rsplit("/", 1)[-1]
                    expected.add((env, cluster, "rule", rule["Name"], definition))
        scheduler = alice.client("scheduler", env=env)
        for summary in pages(scheduler, "list_schedules", "Schedules"):
            whole = scheduler.get_schedule(Name=summary["Name"], GroupName=summary["GroupName"])
            target = whole["Target"]
            if ":cluster/" in target["Arn"]:
                definition = target["EcsParameters"]["TaskDefinitionArn"].rsplit("/", 1)[-1]
                name = f"{whole['GroupName']}/{whole['Name']}"
                expected.add((env, target["Arn"].rsplit("/", 1)[-1], "schedule", name, definition))
    assert {e[2] for e in expected} == {"rule", "schedule"}, "the sandbox seeds both kinds"
    rows = ok_json(sandbox_env, "ls", "schedules")
    listed = {(r["env"], r["cluster"], r["source"], r["name"], r["task_definition"]) for r in rows}
    assert listed == expected
    clusters = ok_json(sandbox_env, "ls", "clusters")
    for row in clusters:
        count = sum(1 for e in expected if (e[0], e[1]) == (row["env"], row["cluster"]))
        assert row["schedules"] == count


def test_a_failing_schedule_read_fails_nothing_else(
    sandbox_env: dict[str, str], config: Config, sandbox_faults: Any
) -> None:
    sandbox_faults.set(service="scheduler", operation="ListSchedules", kind="error",
                       account=config.environments["dev"].account_id)  # fmt: skip
    done = opskit(sandbox_env, "ls", "clusters", "--env", "dev", "-o", "json")
    assert done.returncode == 0, done.stderr  # not partial: only the schedules are unknown
    rows = json.loads(done.stdout)
    assert rows and all(r["schedules"] == "?" for r in rows)
    assert all(isinstance(r["services"], int) and r["services"] > 0 for r in rows if r["tasks"])
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith("opskit: dev: schedules unknown:") and "ListSchedules" in line


def latest_active(ecs: Any, family: str) -> int:
    """The family's newest ACTIVE revision, from the full list (not DescribeTaskDefinition)."""
    arns = pages(ecs, "list_task_definitions", "taskDefinitionArns", familyPrefix=family,
                 status="ACTIVE")  # fmt: skip
    mine = [a for a in arns if a.rsplit("/", 1)[1].rsplit(":", 1)[0] == family]
    return max(int(a.rsplit(":", 1)[1]) for a in mine)


@pytest.mark.slow
def test_services_behind_their_latest_revision(
    sandbox_env: dict[str, str], alice: Any, config: Config
) -> None:
    expected = set()
    for env in ENVS:  # every live service of every region, read with boto3
        for region in config.environment(env).regions:
            ecs = alice.client("ecs", env=env, region=region)
            for cluster in ecs.list_clusters()["clusterArns"]:
                arns = ecs.list_services(cluster=cluster, maxResults=100)["serviceArns"]
                for i in range(0, len(arns), 10):
                    found = ecs.describe_services(cluster=cluster, services=arns[i : i + 10])
                    for running in found["services"]:
                        family, revision = running["taskDefinition"].rsplit("/", 1)[1].split(":")
                        latest = latest_active(ecs, family)
                        if latest > int(revision):
                            name = running["serviceName"]
                            expected.add((env, name, f"running :{revision}, latest :{latest}"))
    assert ("stage", "billing", "running :1, latest :2") in expected  # the seeded one
    rows = ok_json(sandbox_env, "ls", "services", "--behind")
    assert {(r["env"], r["service"], r["behind"]) for r in rows} == expected
    everyone = ok_json(sandbox_env, "ls", "services")
    assert all(r["behind"] is None for r in everyone if (r["env"], r["service"], r["behind"])
               not in expected)  # fmt: skip
    shown = ok_json(sandbox_env, "show", "billing", "--env", "stage")
    assert (shown["latest_revision"], shown["task_definition"]) == (2, "billing:1")
    table = opskit(sandbox_env, "show", "billing", "--env", "stage")
    assert "running :1, latest :2" in table.stdout
    compared = opskit(sandbox_env, "drift", "stage", "prod", "-o", "json")
    assert compared.returncode == 9, compared.stderr  # differences found
    drift = json.loads(compared.stdout)
    found = [d for d in drift["differences"] if d["what"] == "revision"]
    assert found == [{"service": "billing", "what": "revision", "a": "running :1, latest :2",
                      "b": "running :1 (latest)"}]  # fmt: skip
    wrong = opskit(sandbox_env, "ls", "tasks", "--behind")
    assert wrong.returncode == 2 and wrong.stderr.strip().count("\n") == 0
    assert "--behind" in wrong.stderr


def test_every_container_in_show_ls_and_logs(sandbox_env: dict[str, str], alice: Any) -> None:
    ecs, logs = alice.client("ecs", env="dev"), alice.client("logs", env="dev")
    tasks = [t for t in live_tasks(ecs, "app") if t.get("group") == "service:app-web"]
    definition = ecs.describe_task_definition(taskDefinition=tasks[0]["taskDefinitionArn"])
    images = [c["image"] for c in definition["taskDefinition"]["containerDefinitions"]]
    assert len(images) == 2, "the seeded sidecar"
    shown = ok_json(sandbox_env, "show", "app-web", "--env", "dev")
    by_task = {t["id"]: t for t in shown["tasks"]}
    for raw in tasks:
        task_id = raw["taskArn"].rsplit("/", 1)[-1]
        if task_id not in by_task:
            continue  # replaced between the two reads
        got = [(c["name"], c["image"], c["last_status"], c["health"])
               for c in by_task[task_id]["containers"]]  # fmt: skip
        want = [(c["name"], c["image"], c["lastStatus"], c.get("healthStatus", "UNKNOWN"))
                for c in raw["containers"]]  # fmt: skip
        assert got == want
    table = opskit(sandbox_env, "show", "app-web", "--env", "dev")
    assert "Containers" in table.stdout and "datadog-agent" in table.stdout
    rows = ok_json(sandbox_env, "ls", "services", "--env", "dev")
    (web,) = [r for r in rows if r["service"] == "app-web"]
    assert web["images"] == images
    done = opskit(sandbox_env, "logs", "app-web", "--env", "dev", "--container",
                  "datadog-agent", "--since", "30d", "-o", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    sidecar = [json.loads(line) for line in done.stdout.splitlines()]  # one JSON line each
    streams = pages(logs, "describe_log_streams", "logStreams", logGroupName="/ecs/app-web",
                    logStreamNamePrefix="ecs/datadog-agent/")  # fmt: skip
    assert streams
    expected = sorted(
        e["message"]
        for s in streams
        for e in logs.get_log_events(logGroupName="/ecs/app-web",
                                     logStreamName=s["logStreamName"], startFromHead=True)["events"]
    )  # fmt: skip
    assert sorted(line["message"] for line in sidecar) == expected
    assert {line["container"] for line in sidecar} == {"datadog-agent"}
    bad = opskit(sandbox_env, "logs", "app-web", "--env", "dev", "--container", "nope")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1
    assert "datadog-agent" in bad.stderr and "app-web" in bad.stderr
