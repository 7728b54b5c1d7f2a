"""`opskit ls | show | logs | drift` as a user runs them: the installed entry point, over HTTP."""

from __future__ import annotations

import json
import subprocess

import pytest
from cli_inprocess import opskit_inprocess


def opskit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(env, *args)


def test_ls_services_as_json_lists_every_environment(sandbox_env: dict[str, str]) -> None:
    done = opskit(sandbox_env, "ls", "services", "--output", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["env"] for r in rows} == {"dev", "stage", "prod"}
    assert {r["service"] for r in rows if r["env"] == "prod"} >= {"api", "app-web", "billing"}
    assert all(isinstance(r["desired"], int) and r["health"] for r in rows)


def test_bob_gets_dev_and_a_partial_exit_code(sandbox_env: dict[str, str]) -> None:
    done = opskit(sandbox_env, "--user", "bob", "ls", "clusters", "-o", "json")
    assert done.returncode == 6, done.stderr
    rows = json.loads(done.stdout)
    assert rows and {r["env"] for r in rows} == {"dev"}
    (message,) = done.stderr.strip().splitlines()
    assert (
        message.startswith("opskit: partial result:") and "stage" in message and "prod" in message
    )


def test_ls_targets_reads_health_and_draining(sandbox_env: dict[str, str]) -> None:
    done = opskit(sandbox_env, "ls", "targets", "--env", "dev", "-o", "json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert {r["target_group"] for r in rows} >= {"dev-api", "dev-app-web"}
    assert all(r["state"] and isinstance(r["draining"], int) for r in rows)


@pytest.mark.slow
def test_show_and_its_errors(sandbox_env: dict[str, str]) -> None:
    done = opskit(sandbox_env, "show", "api", "--env", "prod", "-o", "json")
    assert done.returncode == 0, done.stderr
    service = json.loads(done.stdout)
    assert service["name"] == "api" and service["env"] == "prod"
    assert service["target_groups"][0]["targets"], "detail depth shows targets"
    assert "sandbox-canary-" not in done.stdout
    table = opskit(sandbox_env, "show", "api", "--env", "prod")
    assert table.returncode == 0 and "Deployments" in table.stdout and "Targets" in table.stdout
    missing = opskit(sandbox_env, "show", "nope", "--env", "prod")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "nope" in missing.stderr
    unknown = opskit(sandbox_env, "ls", "--env", "qa")
    assert unknown.returncode == 2 and "unknown environment 'qa'" in unknown.stderr


@pytest.mark.slow
def test_logs_and_drift(sandbox_env: dict[str, str]) -> None:
    done = opskit(sandbox_env, "logs", "app-web", "--env", "dev", "--since", "3h", "--grep",
                  "GET", "-o", "json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines and all("GET" in line["message"] for line in lines)
    assert [line["at"] for line in lines] == sorted(line["at"] for line in lines)
    bad = opskit(sandbox_env, "logs", "app-web", "--env", "dev", "--since", "soon")
    assert bad.returncode == 2 and "--since" in bad.stderr
    drift = opskit(sandbox_env, "drift", "stage", "prod", "-o", "json")
    assert drift.returncode == 9, drift.stderr  # the seeded differences: exit 9
    assert json.loads(drift.stdout)["services"] == 8
