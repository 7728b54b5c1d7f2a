"""Issue 14, "A CLI that scripts can trust": the installed `opskit`, a subprocess, against the
session's sandbox. Expected values come from the sandbox itself (boto3, the Datadog
endpoint's HTTP API), never from opskit's code."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from aws_clients import AwsAs

from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))
USAGE, DRIFT, OK = 2, 9, 0  # README "Exit codes"


def opskit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """stdout is a pipe here, as in any script: the CLI must not assume a terminal."""
    return subprocess.run(
        [OPSKIT, *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def one_line(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("opskit: "), done.stderr
    assert "unexpected" not in lines[0] and "Traceback" not in done.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["ls", "--env", "prd"], "Did you mean 'prod'?"),
        (["scale", "api", "2", "--env", "stag", "--dry-run"], "Did you mean 'stage'?"),
        (["scale", "billng", "2", "--env", "dev", "--dry-run"], "Did you mean 'billing'?"),
        (["show", "app-wbe", "--env", "dev"], "Did you mean 'app-web'?"),
        (["--verbose", "ls", "--bogus"], "No such option: --bogus"),  # no traceback either
        (["--verbose", "sandbox"], "a command is needed"),
        (["ls", "--env"], "requires an argument"),
        (["dns", "shift", "www"], "Missing option '--to'"),
    ],
    ids=[
        "env-prd",
        "env-stag",
        "service",
        "service-show",
        "verbose-option",
        "verbose-no-args",
        "option-needs-value",
        "missing-option",
    ],
)
def test_usage_errors_are_one_line_exit_2(
    sandbox_env: dict[str, str], args: list[str], words: str
) -> None:
    assert words in one_line(opskit(sandbox_env, *args), USAGE)


def test_nothing_close_suggests_nothing(sandbox_env: dict[str, str]) -> None:
    line = one_line(opskit(sandbox_env, "ls", "--env", "qqqqqq"), USAGE)
    assert "unknown environment 'qqqqqq'" in line and "Did you mean" not in line


def _live_tasks(alice: AwsAs, env: str) -> dict[str, dict[str, Any]]:
    ecs = alice.client("ecs", env=env)
    found: dict[str, dict[str, Any]] = {}
    for cluster in ecs.list_clusters()["clusterArns"]:
        arns = [a for page in ecs.get_paginator("list_tasks").paginate(cluster=cluster)
                for a in page["taskArns"]]  # fmt: skip
        for i in range(0, len(arns), 100):
            for task in ecs.describe_tasks(cluster=cluster, tasks=arns[i : i + 100])["tasks"]:
                found[task["taskArn"].rsplit("/", 1)[-1]] = task
    return found


def test_json_carries_numbers_full_ids_and_utc_times(
    sandbox_env: dict[str, str], alice: AwsAs
) -> None:
    services = opskit(sandbox_env, "ls", "services", "--env", "dev", "-o", "json")
    assert services.returncode == OK, services.stderr
    rows = json.loads(services.stdout)
    measured = [r for r in rows if r["cpu"] is not None]
    assert measured and all(isinstance(r["cpu"], int | float) for r in measured)
    assert all(0 <= r["cpu"] <= 100 and isinstance(r["memory"], int | float) for r in measured)

    instances = json.loads(
        opskit(sandbox_env, "ls", "instances", "--env", "dev", "-o", "json").stdout
    )
    ec2 = alice.client("ec2", env="dev")
    live_ids = {i["InstanceId"] for r in ec2.describe_instances()["Reservations"]
                for i in r["Instances"]}  # fmt: skip
    assert instances and {i["instance"] for i in instances} <= live_ids
    assert all(isinstance(i["cpu_free"], int) and isinstance(i["memory_free"], int)
               for i in instances)  # fmt: skip

    live = _live_tasks(alice, "dev")
    tasks = json.loads(opskit(sandbox_env, "ls", "tasks", "--env", "dev", "-o", "json").stdout)
    running = [t for t in tasks if t["task"] in live and live[t["task"]].get("startedAt")]
    assert running, "the full task ids are the ones ECS lists"
    for row in running:
        started = dt.datetime.fromisoformat(row["started"])
        assert started.utcoffset() == dt.timedelta(0), row["started"]
        assert started == live[row["task"]]["startedAt"].replace(microsecond=0)


def test_a_table_into_a_pipe_is_tab_separated_and_uncut(
    sandbox_env: dict[str, str], alice: AwsAs
) -> None:
    def running() -> set[str]:
        tasks = _live_tasks(alice, "dev").items()
        return {t for t, task in tasks if task["lastStatus"] == "RUNNING"}

    before = running()
    done = opskit(sandbox_env, "ls", "tasks", "--env", "dev")
    after = running()
    assert done.returncode == OK, done.stderr
    header, *lines = done.stdout.splitlines()
    columns = header.split("\t")
    assert "TASK" in columns and "…" not in done.stdout
    cells = [line.split("\t") for line in lines]
    assert all(len(c) == len(columns) for c in cells)
    listed = {c[columns.index("TASK")] for c in cells}
    live = before & after  # running throughout the listing (a crash loop replaces some)
    assert live and live <= listed, "every running task's whole id is printed"


def test_drift_exits_9_when_environments_differ(sandbox_env: dict[str, str], alice: AwsAs) -> None:
    same = opskit(sandbox_env, "drift", "dev", "dev")
    assert same.returncode == OK, same.stderr
    elb = alice.client("elbv2", env="dev", access="admin")
    group = elb.describe_target_groups(Names=["dev-api"])["TargetGroups"][0]["TargetGroupArn"]
    attributes = elb.describe_target_group_attributes(TargetGroupArn=group)["Attributes"]
    key = "deregistration_delay.timeout_seconds"
    before = next(a["Value"] for a in attributes if a["Key"] == key)
    changed = str(int(before) + 17)
    elb.modify_target_group_attributes(
        TargetGroupArn=group, Attributes=[{"Key": key, "Value": changed}]
    )
    try:
        drift = opskit(sandbox_env, "drift", "dev", "stage", "-o", "json")
        table = opskit(sandbox_env, "drift", "dev", "stage")
    finally:
        elb.modify_target_group_attributes(
            TargetGroupArn=group, Attributes=[{"Key": key, "Value": before}]
        )
    assert drift.returncode == DRIFT and table.returncode == DRIFT, drift.stderr
    differences = json.loads(drift.stdout)["differences"]
    assert any(d["service"] == "api" and changed in str(d["a"]) for d in differences)
    assert drift.stderr == "" and table.stderr == "", "drift is a result, not an error"


def _dd(sandbox: SandboxInfo, method: str, path: str, body: Any = None) -> Any:
    keys = sandbox.datadog_keys
    headers = {"DD-API-KEY": keys["api_key"], "DD-APPLICATION-KEY": keys["app_key"],
               "Content-Type": "application/json"}  # fmt: skip
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{sandbox.datadog_url}{path}", data, headers, method=method)
    with urllib.request.urlopen(request) as answer:
        raw = answer.read()
    return json.loads(raw) if raw else None


NOTIFY = """
[datadog.monitors]
notify = { warning = ["@slack-ops"], critical = ["@pagerduty-platform", "@slack-ops"] }
"""


def test_monitors_plan_shows_what_it_creates_and_the_whole_changed_query(
    sandbox: SandboxInfo, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    text = (ROOT / "environments.toml").read_text()
    config = tmp_path / "environments.toml"
    config.write_text(text.replace("\n[sandbox]\n", f"\n{NOTIFY}\n[sandbox]\n", 1))
    env = {**sandbox_env, "OPSKIT_CONFIG": str(config)}
    planned = opskit(env, "monitors", "plan", "--env", "dev", "-o", "json")
    assert planned.returncode == OK, planned.stderr
    steps = {s["identity"]: s for s in json.loads(planned.stdout)["dev"]["steps"]}
    cpu = steps["dev.api.cpu"]
    assert cpu["action"] == "create" and cpu["query"] and cpu["critical"] is not None
    assert cpu["notify"] == {"warning": ["@slack-ops"],
                             "critical": ["@pagerduty-platform", "@slack-ops"]}  # fmt: skip
    table = opskit(env, "monitors", "plan", "--env", "dev")
    block = table.stdout.split("dev.api.cpu", 1)[1].split("\ndev ", 1)[0]
    assert cpu["query"] in block and "@pagerduty-platform" in block and "warning" in block

    # A hand edit far into the query: both sides of the change appear whole.
    desired = cpu["query"]
    head, _, threshold = desired.rpartition(" ")
    edited = (
        head.replace("last_10m", "last_5m").replace(
            "servicename:api}", "servicename:api,team:payments-and-ledger-platform}"
        )
        + " 77"
    )
    tags = ["managed-by:opskit", "opskit-monitor:dev.api.cpu", "env:dev", "service:api"]
    made = _dd(sandbox, "POST", "/api/v1/monitor", {"name": cpu["name"], "type": "query alert",
               "query": edited, "message": "hand made", "tags": tags,
               "options": {"thresholds": {"critical": 77}}})  # fmt: skip
    try:
        again = opskit(env, "monitors", "plan", "--env", "dev", "-o", "json")
    finally:
        _dd(sandbox, "DELETE", f"/api/v1/monitor/{made['id']}")
    assert again.returncode == OK, again.stderr
    [step] = [s for s in json.loads(again.stdout)["dev"]["steps"] if s["identity"] == "dev.api.cpu"]
    assert step["action"] == "update" and step["id"] == made["id"]
    [line] = [c for c in step["changes"] if c.startswith("query:")]
    for words in ("last_5m", "last_10m", "team:payments-and-ledger-platform", "77", threshold):
        assert words in line, (words, line)
    assert step["before"]["query"].endswith("77") and step["after"]["query"].endswith(threshold)
