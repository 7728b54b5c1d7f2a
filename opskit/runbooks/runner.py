"""A runbook run, start to end: record, execute, archive, journal.

The request arrives validated (``validate``: everything that needs no kernel, so a bad run
fails in a second with one line). ``run`` gives the run an id and an archive location,
tells the kernel both (``OPSKIT_RUNBOOK``, ``OPSKIT_RUN_ID``, ``OPSKIT_NOTEBOOK_SHA256``,
``OPSKIT_ARCHIVE_PATH``: the change engine puts them in every journal record made inside),
executes the notebook, archives the redacted copy and the run record, and journals the run
itself (an intent before an apply starts; the outcome of every apply, and of every run that
failed), so nothing is lost when a run fails midway.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opskit import __version__
from opskit.audit import Origin, Outcome, RunbookRun, change_record, utc_now
from opskit.audit.context import ENV_ARCHIVE_PATH, ENV_NOTEBOOK_SHA256, ENV_RUN_ID, ENV_RUNBOOK
from opskit.config import Config
from opskit.errors import ExitCode, Interrupted, OpskitError
from opskit.runbooks.archive import Archive, LocalArchive, RunRecord, new_run_id, open_archive
from opskit.runbooks.catalog import sha256_file
from opskit.runbooks.redact import (
    notebook_redactor,
    redact_notebook,
    redact_text,
    task_definition_secrets,
)
from opskit.runbooks.validate import RunRequest

if TYPE_CHECKING:
    from opskit.audit import Redactor
    from opskit.changes import Engine
    from opskit.context import Workspace
    from opskit.runbooks.execution import Execution

Say = Callable[[str], None]


class RunbookFailed(OpskitError):
    """A runbook run failed; its exit code is the one of the error that stopped it."""

    def __init__(self, message: str, exit_code: ExitCode, record: RunRecord) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.record = record


def run(
    ws: Workspace,
    request: RunRequest,
    *,
    say: Say = print,
    sandbox_user: str | None = None,
) -> RunRecord:
    """Execute a validated request; return its record, or raise RunbookFailed / Interrupted.

    ``sandbox_user`` (``--user``) is who the kernel acts as, too.
    """
    from opskit.changes import Engine
    from opskit.runbooks.execution import execute

    spec, config = request.spec, ws.config
    path = Path(spec.path)
    run_id = new_run_id()
    archive = open_archive(config, ws.state_dir, lambda: ws.accounts.ops_client("s3"))
    location = archive.location(run_id, spec.name)
    sha = sha256_file(path)
    engine = Engine.from_workspace(
        ws, origin=Origin("runbook", RunbookRun(spec.name, run_id, sha, location))
    )
    record = RunRecord(
        run_id=run_id, runbook=spec.name, params=engine.journal.redactor(request.params),
        env=request.env, apply=request.apply, user=engine.actor.user, archive=location,
        notebook_sha256=sha, started_at=utc_now(), opskit_version=__version__,
    )  # fmt: skip
    secrets = task_definition_secrets(ws.accounts, config, request.read_envs)
    redactor = notebook_redactor(config, os.environ, secrets)
    archive.put_record(record)
    offset = _journal_size(engine)
    if request.apply:
        engine.journal.append(_run_record(engine, request, record, None))
    where = f" on {request.env}" if request.env else ""
    say(f"runbook {spec.name} ({'APPLY' if request.apply else 'dry run'}{where}): run {run_id}")
    clock = time.monotonic()
    done = execute(
        path, request.params, state_dir=ws.state_dir, redactor=redactor, say=say,
        run_env=_kernel_env(record, config, sandbox_user),
        start_timeout=config.runbooks.start_timeout_seconds,
        cell_timeout=config.runbooks.cell_timeout_seconds,
    )  # fmt: skip
    record.duration_s = round(time.monotonic() - clock, 3)
    record.finished_at = utc_now()
    record.changes = _changes_made(engine, offset, run_id)
    code = _conclude(record, done, redactor)
    notebook = redact_notebook(_stamped(done.notebook, record), redactor)
    data = (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode()
    record.archive_sha256 = hashlib.sha256(data).hexdigest()
    _store(ws, archive, record, data, say)
    if request.apply or record.outcome != "succeeded":
        engine.journal.append(_run_record(engine, request, record, record.outcome))
    error = f" ({record.error})" if record.error else ""
    say(
        f"runbook {spec.name} {record.outcome} in {record.duration_s:.1f} s{error}; "
        f"archived: {record.archive}"
    )
    if code is ExitCode.INTERRUPTED:
        raise Interrupted(f"runbook {spec.name} interrupted; archived: {record.archive}")
    if code is not ExitCode.OK:
        raise RunbookFailed(
            f"runbook {spec.name} failed: {record.error}; archived: {record.archive}", code, record
        )
    return record


def _kernel_env(record: RunRecord, config: Config, sandbox_user: str | None) -> dict[str, str]:
    """What the kernel is told: the run (for the journal), the config, the user."""
    env = {
        ENV_RUNBOOK: record.runbook,
        ENV_RUN_ID: record.run_id,
        ENV_NOTEBOOK_SHA256: record.notebook_sha256,
        ENV_ARCHIVE_PATH: record.archive,
        "OPSKIT_CONFIG": str(config.path),
    }
    if sandbox_user:
        env["OPSKIT_SANDBOX_USER"] = sandbox_user
    return env


def _conclude(record: RunRecord, done: Execution, redactor: Redactor) -> ExitCode:
    """Set the record's outcome, exit code and one-line error; return the exit code."""
    from opskit.runbooks.execution import failed_cell, step_label

    if done.ename is None:
        record.outcome, record.exit_code = "succeeded", int(ExitCode.OK)
        return ExitCode.OK
    code = _exit_code(done.ename)
    record.outcome = "interrupted" if code is ExitCode.INTERRUPTED else "failed"
    record.exit_code = int(code)
    record.failed_cell = failed_cell(done.notebook)
    step = (
        f" in {step_label(done.notebook, record.failed_cell)}"
        if record.failed_cell is not None
        else ""
    )
    first = (done.evalue or "").strip().splitlines() or _stderr_tail(
        done.notebook, record.failed_cell
    )
    record.error = redact_text(f"{done.ename}{step}: {first[0] if first else ''}", redactor)
    return code


def _store(ws: Workspace, archive: Archive, record: RunRecord, data: bytes, say: Say) -> None:
    """Archive the notebook and record; if the archive fails, keep them locally and say so."""
    try:
        archive.put_notebook(record, data)
        archive.put_record(record)
    except OpskitError as error:
        local = LocalArchive(ws.state_dir / "runs")
        record.archive = local.location(record.run_id, record.runbook)
        local.put_notebook(record, data)
        local.put_record(record)
        say(f"warning: archiving failed ({error}); kept locally at {record.archive}")


def _stamped(notebook: dict[str, Any], record: RunRecord) -> dict[str, Any]:
    """The notebook with the run's identity in ``metadata.opskit.run``."""
    metadata = dict(notebook.get("metadata", {}))
    metadata["opskit"] = {
        **metadata.get("opskit", {}),
        "run": {
            "run_id": record.run_id,
            "runbook": record.runbook,
            "notebook_sha256": record.notebook_sha256,
            "outcome": record.outcome,
            "error": record.error,
        },
    }
    papermill = dict(metadata.get("papermill", {}))
    papermill["output_path"] = record.archive
    metadata["papermill"] = papermill
    return {**notebook, "metadata": metadata}


_RUN_OUTCOMES: dict[str, Outcome] = {"succeeded": "applied", "interrupted": "interrupted"}


def _run_record(
    engine: Engine, request: RunRequest, record: RunRecord, outcome: str | None
) -> dict[str, Any]:
    """The journal entry of the run itself (change ``runbook``; ``change_id`` the run id)."""
    config = engine.config
    env = request.env
    where = config.environment(env) if env else None
    mode = "apply" if request.apply else "dry run"
    plan = {
        "id": f"run-{record.run_id}",
        "change": "runbook",
        "summary": f"runbook {record.runbook} ({mode}){f' on {env}' if env else ''}",
        "env": env or config.ops.name,
        "account_id": where.account_id if where else config.ops.account_id,
        "region": where.region if where else config.ops.region,
        "access": request.access,
        "diffs": [],
        "created_at": record.started_at,
        "params": record.params,
    }
    role = config.role_arn(env, request.access) if env else engine.actor.arn
    if outcome is None:
        return change_record("intent", plan, actor=engine.actor, origin=engine.origin, role=role)
    return change_record(
        "outcome",
        plan,
        actor=engine.actor,
        origin=engine.origin,
        role=role,
        outcome=_RUN_OUTCOMES.get(outcome or "", "failed"),
        detail=record.error or f"runbook {record.runbook} succeeded",
        data={
            "run_id": record.run_id,
            "archive": record.archive,
            "archive_sha256": record.archive_sha256,
            "exit_code": record.exit_code,
            "changes": record.changes,
        },
        timings={"started_at": record.started_at, "total_s": record.duration_s},
    )


def _journal_size(engine: Engine) -> int:
    try:
        return engine.journal.path.stat().st_size
    except FileNotFoundError:
        return 0


def _changes_made(engine: Engine, offset: int, run_id: str) -> list[str]:
    """Ids of the changes journaled by this run (records after ``offset``)."""
    try:
        with engine.journal.path.open("rb") as handle:
            handle.seek(offset)
            tail = handle.read()
    except FileNotFoundError:
        return []
    found: dict[str, None] = {}
    for line in tail.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        run = (record.get("how", {}).get("runbook") or {}) if isinstance(record, dict) else {}
        if run.get("run_id") == run_id and record.get("change") != "runbook":
            found[str(record.get("change_id"))] = None
    return list(found)


def _stderr_tail(notebook: dict[str, Any], index: int | None) -> list[str]:
    """The failed cell's last stderr line: what an error without a message (IPython's
    ``UsageError`` from a magic) printed instead, so the run's error is never blank."""
    cells = notebook.get("cells") or []
    if index is None or not 0 <= index < len(cells):
        return []
    lines = [
        line.strip()
        for output in cells[index].get("outputs") or []
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
        for line in "".join(output.get("text") or "").splitlines()
        if line.strip()
    ]
    return lines[-1:]


def _exit_code(ename: str) -> ExitCode:
    """The exit code of the error class a notebook cell raised (by name)."""
    if ename == "KeyboardInterrupt":
        return ExitCode.INTERRUPTED
    pending: list[type[OpskitError]] = [OpskitError]
    while pending:
        cls = pending.pop()
        if cls.__name__ == ename:
            return cls.exit_code
        pending.extend(cls.__subclasses__())
    return ExitCode.FAILURE
