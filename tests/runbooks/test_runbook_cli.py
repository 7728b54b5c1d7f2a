"""`opskit runbook list|show|run` and `opskit notebooks`, as subprocesses of the entry point.

Bad runs fail before a kernel starts: one line on stderr, a documented exit code, no run
record, no archive, and nothing journaled but the refusal of a protected environment.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from runs_support import OPSKIT, cli_all

RUN = ["runbook", "run"]
BAD = {
    "type": (RUN + ["scale", "--env", "dev", "-p", "service=api", "-p", "count=ten"], 2,
             "opskit: scale: parameter 'count': expected a whole number, got 'ten'"),
    "env": (RUN + ["deploy", "--env", "qa", "-p", "service=api", "-p", "image=1"], 2,
            "opskit: unknown environment 'qa' (known: dev, stage, prod)"),
    "no-env": (RUN + ["deploy", "-p", "service=api", "-p", "image=1"], 2,
               "opskit: deploy needs --env (one of dev, stage, prod)"),
    "reserved": (RUN + ["deploy", "--env", "dev", "-p", "apply=true"], 2,
                 "opskit: deploy: set 'apply' with --apply, not -p apply=…"),
    "read-only": (RUN + ["drift", "--apply"], 2,
                  "opskit: drift changes nothing: --apply does not apply to it"),
    "unknown": (RUN + ["deplyo"], 2, "opskit: unknown runbook 'deplyo'; did you mean 'deploy'?"),
    "protected": (RUN + ["scale", "--env", "prod", "-p", "service=api", "-p", "count=6",
                         "--apply"], 7,
                  "opskit: prod is protected: scale refused without confirmation (type the "
                  "name, or pass --confirm prod)"),
    "denied": (["--user", "bob", *RUN, "scale", "--env", "stage", "-p", "service=api",
                "-p", "count=2"], 4, "opskit: bob may not enter stage at access 'read'"),
}  # fmt: skip


def test_bad_runs_are_one_line_and_start_no_kernel(sandbox_env: dict[str, str]) -> None:
    state = Path(sandbox_env["OPSKIT_STATE_DIR"])
    journal = state / "journal.jsonl"
    before = journal.read_bytes() if journal.exists() else b""
    runs = state / "runs"
    archived = set(runs.iterdir()) if runs.exists() else set()  # other tests' runs
    ran = cli_all({k: args for k, (args, _, _) in BAD.items()}, sandbox_env)
    for name, (_, code, message) in BAD.items():
        lines = [ln for ln in ran[name].err.splitlines() if ln.strip()]
        assert ran[name].code == code, f"{name}: {ran[name].err}"
        assert len(lines) == 1 and lines[0].startswith(message), f"{name}: {lines}"
        assert ran[name].out == ""
    assert (set(runs.iterdir()) if runs.exists() else set()) == archived  # none archived
    after = journal.read_bytes() if journal.exists() else b""
    assert after.startswith(before)
    (refusal,) = [json.loads(line) for line in after[len(before) :].splitlines()]
    assert refusal["type"] == "outcome" and refusal["outcome"] == "refused"  # on the record
    assert refusal["where"]["env"] == "prod" and refusal["change"] == "runbook"


def test_list_and_show_describe_every_parameter(sandbox_env: dict[str, str]) -> None:
    ran = cli_all(
        {
            "list": ["runbook", "list", "-o", "json"],
            "show": ["runbook", "show", "traffic-shift", "-o", "json"],
            "table": ["runbook", "show", "scale"],
        },
        {**sandbox_env, "COLUMNS": "300"},
    )
    listed = {r["name"]: r for r in json.loads(ran["list"].out)}
    assert len(listed) >= 10 and listed["drift"]["changes"] is False
    params = {p["name"]: p for p in json.loads(ran["show"].out)["params"]}
    assert params["steps"] == {
        "name": "steps", "type": "list[int]", "default": [], "required": False,
        "allowed": [], "min": 1.0, "max": 100.0,
        "help": "ramp, in percent for `to`; empty means the config steps",
    }  # fmt: skip
    assert params["shift"]["allowed"] == ["@traffic"] and params["shift"]["required"]
    assert "@services (api, api-worker, app-jobs" in ran["table"].out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=5) as answer:
        return json.loads(answer.read())


@pytest.mark.slow
def test_notebooks_opens_jupyterlab_with_the_opskit_kernel(
    sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    port, token = _free_port(), "opskit-test-token"
    env = {**sandbox_env, "JUPYTER_TOKEN": token, "JUPYTER_RUNTIME_DIR": str(tmp_path)}
    lab = subprocess.Popen(
        [OPSKIT, "notebooks", "--no-browser", "--port", str(port)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
    )  # fmt: skip
    try:
        deadline, specs = time.monotonic() + 90, None
        while specs is None and time.monotonic() < deadline and lab.poll() is None:
            try:
                specs = _get(f"http://127.0.0.1:{port}/api/kernelspecs", token)
            except OSError:
                time.sleep(0.5)
        assert specs is not None, "JupyterLab did not answer"
        spec = specs["kernelspecs"]["opskit"]["spec"]
        assert spec["language"] == "python"
        assert Path(spec["argv"][0]).parent == Path(OPSKIT).parent  # this very interpreter
        contents = _get(f"http://127.0.0.1:{port}/api/contents", token)
        assert "deploy.ipynb" in {c["name"] for c in contents["content"]}
    finally:
        if lab.poll() is None:
            os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
        if lab.stderr is not None:
            lab.stderr.close()
