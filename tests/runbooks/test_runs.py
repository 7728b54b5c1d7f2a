"""Every runbook executed with papermill against the sandbox, through `opskit runbook run`.

One wave of runs starts at once: a dry run of every runbook, the applies that are safe on
the sandbox (draining on stage, deploy on dev, a traffic-shift ramp) and a test runbook
that leaks secrets on purpose, makes a change and fails midway. A second wave needs the
first one's results (a rollback has a revision to go back to; the access review sees the
journal; a ramp is stopped with Ctrl-C). The tests then read what users rely on:
exit codes, one-line errors, the archive, the run records, the journal.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from runs_support import (
    CONFIG,
    ENV_CANARY,
    ROOT,
    Ran,
    cli,
    cli_all,
    cli_env,
    cli_interrupted,
    journal,
    sha256,
    write_canary,
)

NOTEBOOKS = ROOT / "notebooks"
pytestmark = pytest.mark.timeout(600)  # the first test waits for every run of the module
TIME_FACTOR = 200.0
DRY = {
    "deploy": ["deploy", "--env", "dev", "-p", "service=api", "-p", "image=1.43.0"],
    "scale": ["scale", "--env", "stage", "-p", "service=api", "-p", "count=3"],
    "restart": ["restart", "--env", "dev", "-p", "service=app-web"],
    "elb-draining": ["elb-draining", "--env", "prod", "-p", "seconds=30"],
    "traffic-shift": ["traffic-shift", "--env", "prod", "-p", "shift=www", "-p", "to=legacy"],
    "drift": ["drift"],
    "costs": ["costs", "-p", "months=2"],
    "monitors": ["monitors", "--env", "stage"],
}
APPLY = {
    "apply-deploy": ["deploy", "--env", "dev", "-p", "service=tracking", "-p", "image=3.7.2"],
    "apply-draining": ["elb-draining", "--env", "stage", "-p", "seconds=45"],
    "apply-traffic": ["traffic-shift", "--env", "prod", "-p", "shift=www", "-p", "to=new",
                      "-p", "steps=5,25", "-p", "pause_seconds=0.2", "--confirm", "prod"],
}  # fmt: skip
SECOND = {  # bob may enter dev: the kernel acts as the user the runner was given
    "rollback": ["--user", "bob", "rollback", "--env", "dev", "-p", "service=tracking"],
    "access-review": ["access-review", "-p", "days=1"],
}


def _run(args: list[str]) -> list[str]:
    """``opskit [--user U] runbook run ARGS -o json``."""
    user = args[:2] if args[:1] == ["--user"] else []
    return [*user, "runbook", "run", *args[len(user) :], "-o", "json"]


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's own sandbox (its runs change the estate)."""
    from sandbox.process import ensure_running, stop

    folder = tmp_path_factory.mktemp("runbooks-sandbox")
    ensure_running(CONFIG, folder, time_factor=TIME_FACTOR, owner_pid=os.getpid())
    yield folder
    stop(folder)


@pytest.fixture(scope="module")
def canary_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_canary(tmp_path_factory.mktemp("canary") / "notebooks")


@pytest.fixture(scope="module")
def runs(state: Path, canary_config: Path) -> dict[str, Ran]:
    """Both waves, run once for the module (every run's --output json record on stdout)."""
    env = cli_env(state)
    wave = {k: _run(v) for k, v in DRY.items()} | {
        k: _run([*v, "--apply"]) for k, v in APPLY.items()
    }
    canary = ["runbook", "run", "canary", "--env", "dev", "--apply", "-o", "json"]
    first = cli_all(wave, env) | {"canary": cli(canary, cli_env(state, canary_config))}
    # Whatever the first wave's ramp left (new at 25 %, or less if its gate rolled it
    # back), this ramp's first step sets new to 99 %, then pauses: Ctrl-C comes then.
    ramp = ["runbook", "run", "traffic-shift", "--env", "prod", "-p", "shift=www",
            "-p", "to=new", "-p", "steps=99", "-p", "pause_seconds=3600",
            "--apply", "--confirm", "prod", "-o", "json"]  # fmt: skip
    with ThreadPoolExecutor(1) as pool:
        interrupted = pool.submit(cli_interrupted, ramp, env, "new at 99%")
        second = cli_all({k: _run(v) for k, v in SECOND.items()}, env)
        return first | second | {"interrupted": interrupted.result()}


def test_every_runbook_runs_dry_and_is_archived(runs: dict[str, Ran]) -> None:
    for name in [*DRY, *SECOND]:
        ran = runs[name]
        assert ran.code == 0, f"{name}: {ran.err[-2000:]}"
        record = ran.record
        runbook = record["runbook"]
        assert (record["outcome"], record["apply"], record["exit_code"]) == ("succeeded", False, 0)
        archived = Path(record["archive"])
        assert archived.is_file() and sha256(archived) == record["archive_sha256"]
        notebook = json.loads(archived.read_text())
        assert notebook["metadata"]["opskit"]["run"]["run_id"] == record["run_id"]
        assert record["notebook_sha256"] == sha256(NOTEBOOKS / f"{runbook}.ipynb")
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert all(c["execution_count"] for c in code), f"{name}: a cell did not run"
        assert "step 1/" in ran.err, "progress is streamed to stderr"


def test_the_kernel_acts_as_the_user_the_runner_was_given(runs: dict[str, Ran]) -> None:
    record = runs["rollback"].record
    assert record["user"] == "bob"
    cells = json.loads(Path(record["archive"]).read_text())["cells"]
    session = next(c for c in cells if "".join(c["source"]).startswith("# Open the session"))
    shown = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in session["outputs"])
    assert "user" in shown and "bob" in shown
    assert "roll back tracking in dev: tracking:2 -> tracking:1" in runs["rollback"].err


def test_dry_runs_of_changes_show_the_plan_and_change_nothing(
    runs: dict[str, Ran], state: Path
) -> None:
    runbook_runs = {r["run_id"] for r in (runs[n].record for n in DRY)}
    for record in journal(state):
        run = record["how"].get("runbook") or {}
        assert run.get("run_id") not in runbook_runs, "a dry run journaled something"
    assert "plan " in runs["deploy"].err and "dry run: deploy api -> 1.43.0" in runs["deploy"].err


def journal_of(state: Path, ran: Ran) -> list[dict[str, Any]]:
    run_id = ran.record["run_id"]
    return [r for r in journal(state) if (r["how"].get("runbook") or {}).get("run_id") == run_id]


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("apply-deploy", "deploy"),
        ("apply-draining", "draining"),
    ],
)
def test_an_apply_is_journaled_with_its_run_and_archive(
    runs: dict[str, Ran], state: Path, name: str, change: str
) -> None:
    ran = runs[name]
    assert ran.code == 0, ran.err[-2000:]
    record = ran.record
    records = journal_of(state, ran)
    made = [r for r in records if r["change"] == change]
    assert [r["type"] for r in made] == ["intent", "outcome"] and made[1]["outcome"] == "applied"
    assert record["changes"] == [made[0]["change_id"]]
    for entry in made:
        assert entry["how"]["front_end"] == "runbook"
        assert entry["how"]["runbook"] == {
            "name": record["runbook"],
            "run_id": record["run_id"],
            "notebook_sha256": sha256(NOTEBOOKS / f"{record['runbook']}.ipynb"),
            "archive_path": record["archive"],
        }
    assert Path(record["archive"]).is_file()
    run = [r for r in records if r["change"] == "runbook"]
    assert [(r["type"], r.get("outcome")) for r in run] == [
        ("intent", None),
        ("outcome", "applied"),
    ]


def test_a_traffic_ramp_moves_step_by_step_behind_its_health_gate(
    runs: dict[str, Ran], state: Path
) -> None:
    """The sandbox flaps a random target now and then, as estates do: when it hits the
    receiving service during the ramp, the gate rolls the weights back. Both endings are
    right; each must be told, exited and journaled as what it is."""
    ran = runs["apply-traffic"]
    record = ran.record
    shift = [r for r in journal_of(state, ran) if r["change"] == "traffic-shift"]
    assert [r["type"] for r in shift] == ["intent", "outcome"]
    assert shift[0]["how"]["runbook"]["archive_path"] == record["archive"]
    assert "new at 5%" in ran.err
    if shift[1]["outcome"] == "applied":
        assert (ran.code, record["outcome"]) == (0, "succeeded"), ran.err[-2000:]
        assert ran.err.index("new at 5%") < ran.err.index("new at 25%")
        assert "traffic at new=25, legacy=75" in ran.err
    else:
        assert shift[1]["outcome"] == "rolled_back", shift[1]
        assert "health gate failed" in shift[1]["detail"]
        assert (ran.code, record["outcome"]) == (8, "failed"), ran.err[-2000:]
        assert "weights restored" in ran.last_error_line


def test_a_runbook_failing_midway_loses_nothing_and_leaks_nothing(
    runs: dict[str, Ran], state: Path, canary_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opskit.workspace import open_workspace

    monkeypatch.setenv("OPSKIT_STATE_DIR", str(state))
    ran = runs["canary"]
    assert ran.code == 1, ran.err[-2000:]
    record = ran.record
    assert record["outcome"] == "failed" and "midway failure" in record["error"]
    assert "RuntimeError in step 5/6 (Fail midway)" in ran.last_error_line
    archive = Path(record["archive"])
    text = archive.read_text()
    assert sha256(archive) == record["archive_sha256"]
    assert "midway failure after the change" in text, "the failing cell's error is archived"
    # The canaries were printed (and so redacted), and appear nowhere: not in the archive,
    # not in the streamed output, not in the journal.
    stripe = _billing_secret(open_workspace(CONFIG))
    assert stripe.startswith("sandbox-canary-")
    for secret in (ENV_CANARY, stripe):
        assert secret not in text and secret not in ran.err and secret not in ran.out
        assert secret not in (state / "journal.jsonl").read_text()
    assert text.count("***") >= 3
    notebook = canary_config.parent / "notebooks" / "canary.ipynb"
    records = journal_of(state, ran)
    change = [r for r in records if r["change"] == "draining"]
    assert [r["type"] for r in change] == ["intent", "outcome"]
    assert change[1]["outcome"] == "applied"
    assert change[1]["how"]["runbook"]["notebook_sha256"] == sha256(notebook)
    assert change[1]["how"]["runbook"]["archive_path"] == record["archive"]
    run = [r["outcome"] for r in records if r["change"] == "runbook" and r["type"] == "outcome"]
    assert run == ["failed"]


def _billing_secret(ws: Any) -> str:
    from opskit.aws.ecs import EcsReader

    reader = EcsReader(ws.accounts.client("dev", "ecs"), "dev")
    service = reader.describe_services("app", ["billing"])[0]
    pairs = reader.describe_task_definition(service["taskDefinition"])["containerDefinitions"][0]
    return str(next(p["value"] for p in pairs["environment"] if p["name"] == "STRIPE_KEY"))


def test_ctrl_c_stops_a_run_and_keeps_what_happened(runs: dict[str, Ran], state: Path) -> None:
    ran = runs["interrupted"]
    assert ran.code == 130, ran.err[-2000:]
    assert ran.last_error_line.startswith("opskit: runbook traffic-shift interrupted; archived: ")
    archived = ran.last_error_line.split("archived: ", 1)[1]
    assert "new at 99%" in Path(archived).read_text()
    run_id = Path(archived).parent.name
    record = json.loads((Path(archived).parent / "run.json").read_text())
    assert (record["outcome"], record["exit_code"]) == ("interrupted", 130)
    records = [r for r in journal(state) if (r["how"].get("runbook") or {}).get("run_id") == run_id]
    shift = [r for r in records if r["change"] == "traffic-shift" and r["type"] == "outcome"]
    assert shift and shift[0]["outcome"] == "interrupted" and "SIGINT" in shift[0]["detail"]
    assert shift[0]["data"]["diffs"]  # the weights as they were when it stopped
    assert [
        r["outcome"] for r in records if r["change"] == "runbook" and r["type"] == "outcome"
    ] == ["interrupted"]


def test_runs_lists_every_run_with_its_outcome(runs: dict[str, Ran], state: Path) -> None:
    listed = cli(["runbook", "runs", "-o", "json", "--limit", "100"], cli_env(state))
    assert listed.code == 0, listed.err
    outcomes = {r["run_id"]: r["outcome"] for r in json.loads(listed.out)}
    for name, ran in runs.items():
        if name != "interrupted":  # prints no record: it was stopped
            assert outcomes[ran.record["run_id"]] == ran.record["outcome"], name
    ids = [r["run_id"] for r in json.loads(listed.out)]
    assert ids == sorted(ids, reverse=True)


def test_the_access_review_reads_iam_and_the_journal(runs: dict[str, Ran]) -> None:
    text = Path(runs["access-review"].record["archive"]).read_text()
    assert "enter-environments" in text  # the IAM policy that grants alice and bob
    assert "bob" in text and "alice" in text
    assert "applied" in text  # alice's applies from the first wave, read from the journal


def test_a_notebook_run_by_hand_is_journaled_as_notebook(
    state: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """What JupyterLab does: the kernel has no run variables, only the notebook's path."""
    from opskit.changes.draining import DrainingChange
    from opskit.runbooks import kit
    from opskit.workspace import open_workspace

    monkeypatch.setenv("OPSKIT_STATE_DIR", str(state))
    for name in (
        "OPSKIT_RUNBOOK",
        "OPSKIT_RUN_ID",
        "OPSKIT_NOTEBOOK_SHA256",
        "OPSKIT_ARCHIVE_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", str(NOTEBOOKS / "elb-draining.ipynb"))
    rb = kit.start("dev", apply=True, workspace=open_workspace(CONFIG, front_end="notebook"))
    result = rb.apply(rb.plan(DrainingChange("dev", 17)))
    assert result is not None and result.outcome == "applied"
    made = [r for r in journal(state) if r["change"] == "draining" and r["type"] == "outcome"]
    assert made[-1]["how"]["front_end"] == "notebook"
    assert made[-1]["how"]["runbook"] == {
        "name": "elb-draining",
        "run_id": None,
        "notebook_sha256": sha256(NOTEBOOKS / "elb-draining.ipynb"),
        "archive_path": None,
    }
    assert "by hand" in capsys.readouterr().out


def test_the_archive_can_live_in_s3(state: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The S3 store over HTTP (a bucket in dev, with the admin role: the sandbox's users may
    only read the ops account, where a team's archive bucket would be)."""
    from opskit.runbooks.archive import RunRecord, S3Archive
    from opskit.workspace import open_workspace

    monkeypatch.setenv("OPSKIT_STATE_DIR", str(state))
    s3 = open_workspace(CONFIG).accounts.client("dev", "s3", access="admin")
    s3.create_bucket(
        Bucket="runbook-archive", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    archive = S3Archive(s3, "runbook-archive", "opskit/runs")
    for run_id in ("20260102T000000Z-bbbbbb", "20260101T000000Z-aaaaaa"):
        record = RunRecord(
            run_id=run_id, runbook="drift", params={}, env=None, apply=False, user="alice",
            archive=archive.location(run_id, "drift"), notebook_sha256="0" * 64,
            started_at="2026-01-01T00:00:00.000Z", outcome="succeeded",
        )  # fmt: skip
        archive.put_notebook(record, b'{"cells": []}')
        archive.put_record(record)
    listed = archive.records()
    assert [r.run_id for r in listed] == ["20260101T000000Z-aaaaaa", "20260102T000000Z-bbbbbb"]
    key = listed[0].archive.removeprefix("s3://runbook-archive/")
    assert s3.get_object(Bucket="runbook-archive", Key=key)["Body"].read() == b'{"cells": []}'
