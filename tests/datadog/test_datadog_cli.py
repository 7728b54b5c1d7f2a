"""The installed `opskit` against the session's sandbox: monitors plan/apply, events flush, keys."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess
from dd_support import ROOT

from opskit.datadog.events import ChangeEvent
from opskit.datadog.outbox import Outbox
from opskit.errors import ExitCode
from sandbox.state import SandboxInfo


def opskit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(env, *args)


def _dd(sandbox: SandboxInfo, method: str, path: str, body: Any = None) -> Any:
    import urllib.request

    keys = sandbox.datadog_keys
    headers = {
        "DD-API-KEY": keys["api_key"],
        "DD-APPLICATION-KEY": keys["app_key"],
        "Content-Type": "application/json",
    }
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{sandbox.datadog_url}{path}", data, headers, method=method)
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_monitors_plan_apply_plan_through_the_cli(
    sandbox: SandboxInfo, sandbox_env: dict[str, str]
) -> None:
    before = len(_dd(sandbox, "GET", "/sandbox/events")["events"])
    planned = opskit(sandbox_env, "monitors", "plan", "--env", "stage", "-o", "json")
    assert planned.returncode == 0, planned.stderr
    steps = json.loads(planned.stdout)["stage"]["steps"]
    assert steps and {s["action"] for s in steps} == {"create"}

    applied = opskit(sandbox_env, "monitors", "apply", "--env", "stage", "-o", "json")
    assert applied.returncode == 0, applied.stderr
    [result] = json.loads(applied.stdout)
    assert result["outcome"] == "applied" and result["change"]
    again = json.loads(
        opskit(sandbox_env, "monitors", "plan", "--env", "stage", "-o", "json").stdout
    )
    assert again["stage"]["steps"] == [] and again["stage"]["unchanged"] == len(steps)

    events = _dd(sandbox, "GET", "/sandbox/events")["events"][before:]
    [event] = [
        e
        for e in events
        if "opskit-change:" + result["change"] in e["body"]["data"]["attributes"]["tags"]
    ]
    tags = event["body"]["data"]["attributes"]["tags"]
    assert {"env:stage", "account:333333333333", "actor:alice", "service:api"} <= set(tags)

    monitor = next(
        m
        for m in _dd(sandbox, "GET", "/api/v1/monitor?monitor_tags=managed-by:opskit")
        if "opskit-monitor:stage.billing.memory" in m["tags"]
    )
    _dd(sandbox, "PUT", f"/api/v1/monitor/{monitor['id']}", {"name": "renamed by hand"})
    drift = json.loads(
        opskit(sandbox_env, "monitors", "plan", "--env", "stage", "-o", "json").stdout
    )
    [step] = drift["stage"]["steps"]
    assert step["action"] == "update" and step["identity"] == "stage.billing.memory"
    assert step["changes"] == [f"name: renamed by hand -> {monitor['name']}"]


def test_prod_refusal_through_the_cli_is_one_line(sandbox_env: dict[str, str]) -> None:
    refused = opskit(sandbox_env, "monitors", "apply", "--env", "prod")
    assert refused.returncode == ExitCode.REFUSED
    assert refused.stderr.strip().splitlines()[-1].startswith("opskit: prod is protected")


def test_events_flush_sends_what_waits(sandbox: SandboxInfo, sandbox_env: dict[str, str]) -> None:
    outbox = Outbox(Path(sandbox_env["OPSKIT_STATE_DIR"]))
    outbox.put(
        ChangeEvent(
            title="waited",
            message="m",
            tags=["env:dev", "service:api"],
            resource="api",
            author="alice",
            outcome="applied",
            record_id="flush-test-1",
        )
    )
    flushed = opskit(sandbox_env, "events", "flush", "-o", "json")
    assert flushed.returncode == 0, flushed.stderr
    assert json.loads(flushed.stdout)["sent"] >= 1 and outbox.pending() == []
    titles = [
        e["body"]["data"]["attributes"]["title"]
        for e in _dd(sandbox, "GET", "/sandbox/events")["events"]
    ]
    assert "waited" in titles


@pytest.fixture
def aws_config(tmp_path: Path, sandbox: SandboxInfo) -> Path:
    """The repository's config as for real AWS: Datadog at the sandbox's URL, keys from env."""
    text = (
        (ROOT / "environments.toml")
        .read_text()
        .replace('login = "sandbox"', 'login = "environment"')
    )
    text = text.replace('site = "datadoghq.eu"', f'url = "{sandbox.datadog_url}"')
    path = tmp_path / "environments.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("key", [None, "wrong-key-123"])
def test_bad_or_missing_keys_are_one_line(
    aws_config: Path, sandbox_env: dict[str, str], key: str | None
) -> None:
    env = {k: v for k, v in sandbox_env.items() if not k.startswith("DD_")}
    env["OPSKIT_CONFIG"] = str(aws_config)
    env["DD_APP_KEY"] = "opskit-sandbox-dd-app-key"
    if key:
        env["DD_API_KEY"] = key
    failed = opskit(env, "monitors", "plan", "--env", "dev")
    assert failed.returncode == ExitCode.AUTH
    [line] = failed.stderr.strip().splitlines()
    expected = "rejected the API or application key (403)" if key else "no Datadog API key"
    assert line.startswith("opskit: ") and expected in line
    assert "wrong-key-123" not in failed.stderr + failed.stdout
