"""Issue 14, "Runbooks the Jupyter way": Jupyter's own tools (papermill, nbconvert) run the
runbook notebooks straight from the venv, against the session's sandbox, as subprocesses.

Expected values come from Jupyter (its kernelspec list), the notebooks' own outputs and the
sandbox over boto3, not from opskit's code.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
OPSKIT = str(Path(sys.executable).with_name("opskit"))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def run(argv: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def kernel_installed() -> Path:
    """What a user does once (any runbook command does it too)."""
    done = subprocess.run(
        [OPSKIT, "runbook", "kernel", "install"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return Path(done.stdout.strip())


def _outputs(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(output.get("text", ""))
            texts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(texts)


def test_jupyter_finds_the_opskit_kernel(kernel_installed: Path) -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter_client.kernelspecapp", "list", "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    specs = json.loads(listed.stdout)["kernelspecs"]
    assert Path(specs["opskit"]["resource_dir"]) == kernel_installed
    argv = specs["opskit"]["spec"]["argv"]
    assert Path(argv[0]) == Path(sys.executable), "the kernel is this venv's interpreter"


def test_papermill_and_nbconvert_run_a_runbook_from_the_venv(
    kernel_installed: Path, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    out = tmp_path / "drift-dev.ipynb"
    drift = str(NOTEBOOKS / "drift.ipynb")
    argv = [sys.executable, "-m", "papermill", drift, str(out), "-p", "env", "dev"]
    papermill = run([*argv, "-p", "baseline", "stage"], sandbox_env, tmp_path)
    assert papermill.returncode == 0, papermill.stderr[-3000:]
    assert "NoSuchKernel" not in papermill.stderr
    assert "services compared" in _outputs(out) and "stage vs dev" in _outputs(out)

    converted = run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                     "--output-dir", str(tmp_path), "--output", "drift-nbconvert",
                     str(NOTEBOOKS / "drift.ipynb")], sandbox_env, tmp_path)  # fmt: skip
    assert converted.returncode == 0, converted.stderr[-3000:]
    assert "services compared" in _outputs(tmp_path / "drift-nbconvert.ipynb")


def test_a_one_line_annotated_parameters_cell_works(
    kernel_installed: Path, sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    """IPython would run `env: str = ...` alone in a cell as the `%env` magic."""
    notebook = nbformat.v4.new_notebook(metadata={
        "kernelspec": {"name": "opskit", "display_name": "Python (opskit)", "language": "python"},
        "language_info": {"name": "python"},
    })  # fmt: skip
    notebook.cells = [
        nbformat.v4.new_code_cell(
            'env: str = "dev"  # the environment [allowed: dev, stage]',
            metadata={"tags": ["parameters"]},
        ),
        nbformat.v4.new_code_cell('print(f"environment={env}")'),
    ]
    source = tmp_path / "one-line.ipynb"
    nbformat.write(notebook, source)
    for args, expected in (([], "dev"), (["-p", "env", "stage"], "stage")):
        out = tmp_path / f"out-{expected}.ipynb"
        done = run([sys.executable, "-m", "papermill", str(source), str(out), *args],
                   sandbox_env, tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        assert f"environment={expected}" in _outputs(out)


def test_a_batch_apply_on_prod_refuses_with_the_guards_message(
    kernel_installed: Path, sandbox_env: dict[str, str], tmp_path: Path, alice: Any
) -> None:
    ecs = alice.client("ecs", env="prod")
    before = _desired(ecs)
    done = run([sys.executable, "-m", "papermill", str(NOTEBOOKS / "scale.ipynb"),
                str(tmp_path / "scale.ipynb"), "-p", "env", "prod", "-p", "service", "api",
                "-p", "count", str(before + 1), "-p", "apply", "True"],
               sandbox_env, tmp_path)  # fmt: skip
    assert done.returncode != 0
    assert "RefusedError: prod is protected" in done.stderr, done.stderr[-3000:]
    assert "StdinNotImplementedError" not in done.stderr
    assert _desired(ecs) == before, "nothing was changed"


def _desired(ecs: Any) -> int:
    [service] = ecs.describe_services(cluster="api", services=["api"])["services"]
    return int(service["desiredCount"])


def test_a_run_whose_error_has_no_message_still_says_what_happened() -> None:
    """IPython's UsageError (a magic refusing its arguments) reaches papermill with an empty
    evalue; the run record's error takes the line the cell printed instead."""
    from opskit.audit import Redactor
    from opskit.runbooks.archive import RunRecord
    from opskit.runbooks.execution import Execution
    from opskit.runbooks.runner import _conclude

    printed = "UsageError: refusing to set env var with whitespace: '\"dev\"'"
    notebook: dict[str, Any] = {"cells": [
        {"cell_type": "code", "source": "x", "metadata": {"papermill": {"exception": True}},
         "outputs": [
            {"output_type": "stream", "name": "stderr", "text": printed + "\n"}],
         "execution_count": 1},
    ]}  # fmt: skip
    record = RunRecord("r1", "one-line", {}, "dev", False, "alice", "-", "0" * 64, "now")
    code = _conclude(record, Execution(notebook, "UsageError", ""), Redactor())
    assert code != 0 and record.error is not None and record.error.endswith(printed), record.error


def test_the_traffic_shift_archive_records_every_gate_passed(
    sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    ramp = [OPSKIT, "runbook", "run", "traffic-shift", "--env", "prod", "-p", "shift=www",
            "-p", "to=new", "-p", "steps=10,20", "-p", "pause_seconds=0", "--apply",
            "--confirm", "prod", "-o", "json"]  # fmt: skip
    back = [OPSKIT, "dns", "shift", "www", "--to", "legacy", "--steps", "100", "--pause", "0",
            "--confirm", "prod"]  # fmt: skip
    try:
        done = run(ramp, sandbox_env, tmp_path)
    finally:
        run(back, sandbox_env, tmp_path)
    record = json.loads(done.stdout)
    state = Path(sandbox_env["OPSKIT_STATE_DIR"])
    outcomes = [json.loads(line) for line in (state / "journal.jsonl").read_text().splitlines()]
    ours = [
        r for r in outcomes if (r["how"].get("runbook") or {}).get("run_id") == record["run_id"]
    ]
    [shift] = [r for r in ours if r["type"] == "outcome" and r["change"] == "traffic-shift"]
    gates = shift["data"]["gates"]
    passed = [10, 20] if shift["outcome"] == "applied" else [10, 20][: len(gates)]
    assert [g["at_percent"] for g in gates] == passed, shift
    for gate in gates:
        assert gate["env"] == "prod" and gate["service"] == "app-web" and gate["healthy"] >= 1
        assert gate["weights"]["new"] == gate["at_percent"]
        assert gate["max_error_rate"] == 0.05 and "checked_at" in gate
    archived = _outputs(Path(record["archive"]))
    # (a gate may fail when an earlier test left prod's app-web alerting: then none passed)
    assert ("Health gates passed" in archived) == bool(gates), shift
    for gate in gates:
        assert f"gate passed for {gate['at_percent']}%" in archived
        assert (
            f"{gate['healthy']}/{gate['healthy'] + gate['unhealthy']} targets healthy" in archived
        )
