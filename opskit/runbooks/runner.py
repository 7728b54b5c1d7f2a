"""A runbook run, start to end: validate, record, execute, archive, journal.

``prepare`` does everything that needs no kernel (the spec, the parameters, the access
check), so a bad run fails in a second with one line. ``run`` then gives the run an id and
an archive location, tells the kernel both (``OPSKIT_RUNBOOK``, ``OPSKIT_RUN_ID``,
``OPSKIT_NOTEBOOK_SHA256``, ``OPSKIT_ARCHIVE_PATH``: the change engine puts them in every
journal record made inside), executes the notebook, archives the redacted copy and the run
record, and journals the run itself (an intent before an apply starts; the outcome of every
apply, and of every run that failed), so nothing is lost when a run fails midway.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opskit import __version__
from opskit.audit import Origin, RunbookRun, change_record, utc_now
from opskit.audit.context import ENV_ARCHIVE_PATH, ENV_NOTEBOOK_SHA256, ENV_RUN_ID, ENV_RUNBOOK
from opskit.config import Config
from opskit.errors import ExitCode, Interrupted, OpskitError, UsageError
from opskit.runbooks.archive import (
    Archive,
    LocalArchive,
    RunRecord,
    S3Archive,
    new_run_id,
    parse_s3_url,
)
from opskit.runbooks.catalog import inspect, sha256_file
from opskit.runbooks.redact import (
    notebook_redactor,
    redact_notebook,
    redact_text,
    task_definition_secrets,
)
from opskit.runbooks.validate import RunRequest, check_access, resolve

if TYPE_CHECKING:
    from opskit.changes import Engine
    from opskit.workspace import Workspace

Say = Callable[[str], None]


class RunbookFailed(OpskitError):
    """A runbook run failed; its exit code is the one of the error that stopped it."""

    def __init__(self, message: str, exit_code: ExitCode, record: RunRecord) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.record = record


def open_archive(
    config: Config, state_dir: Path, s3_client: Callable[[], Any] | None = None
) -> Archive:
    """The archive ``[runbooks] archive`` names (default: ``<state dir>/runs``);
    ``s3_client`` makes the ops account's S3 client when the archive is in S3."""
    where = config.runbooks.archive
    if not where:
        return LocalArchive(state_dir / "runs")
    if where.startswith("s3://"):
        if s3_client is None:
            raise UsageError(f"runbooks.archive {where}: needs the ops account's S3 access")
        bucket, prefix = parse_s3_url(where)
        return S3Archive(s3_client(), bucket, prefix)
    path = Path(where).expanduser()
    return LocalArchive(path if path.is_absolute() else config.path.parent / path)


def prepare(
    ws: Workspace,
    name: str,
    given: Mapping[str, Any],
    *,
    env: str | None = None,
    apply: bool = False,
    confirm: str | None = None,
) -> RunRequest:
    """The validated request, after proving every role it needs can be assumed."""
    request = resolve(
        inspect(ws.config, name), ws.config, given, env=env, apply=apply, confirm=confirm
    )
    check_access(ws.accounts, request)
    return request


def run(
    ws: Workspace,
    request: RunRequest,
    *,
    say: Say = print,
    sandbox_user: str | None = None,
) -> RunRecord:
    """Execute ``request``; return its record, or raise RunbookFailed / Interrupted."""
    from opskit.changes import Engine
    from opskit.runbooks.execution import execute, failed_cell, step_label

    spec, config = request.spec, ws.config
    path = Path(spec.path)
    run_id, archive = new_run_id(), _archive(ws)
    location = archive.location(run_id, spec.name)
    sha = sha256_file(path)
    origin = Origin("runbook", RunbookRun(spec.name, run_id, sha, location))
    engine = Engine.from_workspace(ws, origin=origin)
    record = RunRecord(
        run_id=run_id, runbook=spec.name, params=engine.journal.redactor(request.params),
        env=request.env, apply=request.apply, user=engine.actor.user, archive=location,
        notebook_sha256=sha, started_at=utc_now(),
        opskit_version=__version__,
    )  # fmt: skip
    secrets = task_definition_secrets(ws.accounts, config, request.read_envs)
    redactor = notebook_redactor(config, os.environ, secrets)
    archive.put_record(record)
    journal_start = _journal_size(engine)
    if request.apply:
        engine.journal.append(_run_record(engine, request, record, None))
    mode = "APPLY" if request.apply else "dry run"
    say(f"runbook {spec.name} ({mode}{f' on {request.env}' if request.env else ''}): run {run_id}")
    run_env = {
        ENV_RUNBOOK: spec.name,
        ENV_RUN_ID: run_id,
        ENV_NOTEBOOK_SHA256: record.notebook_sha256,
        ENV_ARCHIVE_PATH: location,
        "OPSKIT_CONFIG": str(config.path),
        **({"OPSKIT_SANDBOX_USER": sandbox_user} if sandbox_user else {}),
    }
    clock = time.monotonic()
    done = execute(
        path, request.params, state_dir=ws.state_dir, run_env=run_env, redactor=redactor,
        say=say, start_timeout=config.runbooks.start_timeout_seconds,
        cell_timeout=config.runbooks.cell_timeout_seconds,
    )  # fmt: skip
    record.duration_s = round(time.monotonic() - clock, 3)
    record.finished_at = utc_now()
    record.changes = _changes_made(engine, journal_start, run_id)
    code = ExitCode.OK if done.ename is None else _exit_code(done.ename)
    record.exit_code = int(code)
    if done.ename is None:
        record.outcome = "succeeded"
    else:
        record.outcome = "interrupted" if code is ExitCode.INTERRUPTED else "failed"
        failed = failed_cell(done.notebook)
        step = f" in {step_label(done.notebook, failed)}" if failed is not None else ""
        first = (done.evalue or "").strip().splitlines()
        record.failed_cell = failed
        record.error = redact_text(f"{done.ename}{step}: {first[0] if first else ''}", redactor)
    notebook = redact_notebook(_stamped(done.notebook, record), redactor)
    data = (json.dumps(notebook, indent=1, ensure_ascii=False) + "\n").encode()
    record.archive_sha256 = hashlib.sha256(data).hexdigest()
    _store(ws, archive, record, data, say)
    if request.apply or record.outcome != "succeeded":
        engine.journal.append(_run_record(engine, request, record, record.outcome))
    say(
        f"runbook {spec.name} {record.outcome} in {record.duration_s:.1f} s"
        f"{f' ({record.error})' if record.error else ''}; archived: {record.archive}"
    )
    if code is ExitCode.INTERRUPTED:
        raise Interrupted(f"runbook {spec.name} interrupted; archived: {record.archive}")
    if code is not ExitCode.OK:
        raise RunbookFailed(
            f"runbook {spec.name} failed: {record.error}; archived: {record.archive}", code, record
        )
    return record


def _archive(ws: Workspace) -> Archive:
    return open_archive(ws.config, ws.state_dir, lambda: ws.accounts.ops_client("s3"))


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
        outcome="applied" if outcome == "succeeded" else "failed",
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
