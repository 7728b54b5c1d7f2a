"""`opskit runbook list|show|run|runs` and `opskit notebooks`: runbook notebooks as commands.

`run` validates everything it can before a kernel starts (parameters without logging in,
then the roles the run needs by assuming them), executes the notebook with papermill on
the opskit kernel while streaming its progress to stderr, archives the executed copy
(redacted) and prints the run record. Exit codes (opskit/errors.py): 0 done; 2 bad runbook
or parameter; 3 bad config; 4 a needed role cannot be assumed; 5 AWS failed; 7 refused (a
protected environment without --confirm, read-only, freeze, lock, stale plan); 8 a change
failed or was rolled back; 1 the notebook failed otherwise; 130 interrupted.
"""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opskit.cli.common import (
    Output,
    OutputOption,
    emit,
    load_config_only,
    print_json,
    progress,
    state,
    workspace,
)
from opskit.errors import AuthError, UsageError

if TYPE_CHECKING:
    from opskit.runbooks import Param

NameArg = Annotated[str, typer.Argument(help="Runbook name (see `opskit runbook list`).")]


def register(app: typer.Typer) -> None:
    runbook = typer.Typer(
        help="Runbook notebooks: list, show, run (audited, archived), past runs.",
        no_args_is_help=True,
    )
    runbook.command("list")(list_)
    runbook.command("show")(show)
    runbook.command("run")(run)
    runbook.command("runs")(runs)
    kernel = typer.Typer(help="The opskit Jupyter kernel.", no_args_is_help=True)
    kernel.command("install")(kernel_install)
    runbook.add_typer(kernel, name="kernel")
    app.add_typer(runbook, name="runbook")
    app.command("notebooks")(notebooks)


def list_(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Every runbook: name, what it does, its parameters (type, default, allowed values)."""
    from opskit.runbooks.catalog import inspect_all

    specs = inspect_all(load_config_only(ctx))
    if output is Output.json:
        print_json([s.to_json() for s in specs])
        return
    rows = [
        {
            "name": s.name,
            "description": s.description,
            "changes": s.access if s.changes else "-",
            "parameters": " ".join(_brief(p) for p in s.params),
        }
        for s in specs
    ]
    emit(rows, output)


def show(ctx: typer.Context, name: NameArg, output: OutputOption = Output.table) -> None:
    """One runbook: its description, access, file and every parameter in full."""
    from opskit.runbooks.catalog import inspect
    from opskit.runbooks.validate import allowed_values

    config = load_config_only(ctx)
    spec = inspect(config, name)
    if output is Output.json:
        print_json(spec.to_json())
        return
    data = spec.to_json()
    emit({k: data[k] for k in ("name", "title", "description", "path", "access")}, output)
    rows = [
        {
            "parameter": p.name,
            "type": p.type,
            "required": p.required,
            "default": repr(p.default),
            "allowed": _allowed(p, allowed_values(p, config, None)),
            "help": p.help,
        }
        for p in spec.params
    ]
    emit(rows, output)


def run(
    ctx: typer.Context,
    name: NameArg,
    env: Annotated[str | None, typer.Option("--env", "-e", help="Environment.")] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="A parameter: -p key=value.")
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Apply through the change engine (default: dry run).")
    ] = False,
    confirm: Annotated[
        str | None, typer.Option("--confirm", help="Confirm a protected environment by name.")
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Run a runbook with papermill: dry run by default, --apply to change; archived."""
    from opskit.runbooks.catalog import inspect
    from opskit.runbooks.runner import RunbookFailed
    from opskit.runbooks.runner import run as run_runbook
    from opskit.runbooks.schema import parse_assignments
    from opskit.runbooks.validate import RunRefused, check_access, resolve, stub_for

    given = parse_assignments(param or [], name)
    config = load_config_only(ctx)
    spec = inspect(config, name)
    try:
        request = resolve(spec, config, given, env=env, apply=apply, confirm=confirm)
    except RunRefused as refusal:
        _journal_stopped(ctx, refusal.plan, "refused", str(refusal))
        raise
    ws = workspace(ctx)
    try:
        check_access(ws.accounts, request)
    except AuthError as denial:
        _journal_stopped(ctx, stub_for(request, config), "denied", str(denial))
        raise
    try:
        record = run_runbook(ws, request, say=progress, sandbox_user=state(ctx).user)
    except RunbookFailed as failure:
        if output is Output.json:
            print_json(failure.record.to_json())
        raise
    if output is Output.json:
        print_json(record.to_json())
    else:
        emit(record.row(), output)


def _journal_stopped(ctx: typer.Context, plan: Any, outcome: Any, reason: str) -> None:
    """Put an applying run refused or denied before its kernel started on the record
    (who, where, what, why); a dry run (``plan`` None) changes nothing and is not."""
    from opskit.audit import origin_from_environ
    from opskit.changes import Engine

    if plan is None:
        return
    engine = Engine.from_workspace(workspace(ctx), origin=origin_from_environ("cli"))
    engine.record_stopped(plan, outcome, reason)


def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Newest N runs.")] = 20,
    output: OutputOption = Output.table,
) -> None:
    """Past runs from the archive, newest first, with their outcome."""
    from opskit.runbooks.archive import open_archive
    from opskit.workspace import state_dir

    config = load_config_only(ctx)
    archive = open_archive(config, state_dir(), lambda: workspace(ctx).accounts.ops_client("s3"))
    records = sorted(archive.records(), key=lambda r: r.run_id, reverse=True)[: max(limit, 0)]
    if output is Output.json:
        print_json([r.to_json() for r in records])
        return
    emit([r.row() for r in records], output)


def notebooks(
    ctx: typer.Context,
    port: Annotated[int | None, typer.Option("--port", help="Port for JupyterLab.")] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser.")
    ] = False,
) -> int:
    """Open JupyterLab on the runbooks folder with the opskit kernel; changes made there
    are journaled with the front end `notebook`."""
    from opskit.runbooks.catalog import notebooks_dir
    from opskit.runbooks.kernel import lab_command
    from opskit.workspace import state_dir

    config = load_config_only(ctx)
    if importlib.util.find_spec("jupyterlab") is None:
        raise UsageError("JupyterLab is not installed: pip install 'opskit[lab]'")
    extra = [f"--port={port}"] if port else []
    extra += ["--no-browser"] if no_browser else []
    argv, env = lab_command(notebooks_dir(config), state_dir(), config.path, extra)
    user = state(ctx).user
    if user:
        env["OPSKIT_SANDBOX_USER"] = user
    progress(f"JupyterLab on {notebooks_dir(config)} (kernel: opskit); Ctrl-C to stop")
    return subprocess.call(argv, env=env)


def _brief(param: Param) -> str:
    mark = "*" if param.required else ""
    default = "" if param.required else f"={param.default!r}"
    return f"{param.name}{mark}:{param.type}{default}"


def _allowed(param: Param, values: list[Any]) -> str:
    if not param.allowed:
        return "-"
    listed = ", ".join(str(v) for v in values)
    return f"{param.dynamic} ({listed})" if param.dynamic else listed


def kernel_install(
    prefix: Annotated[
        Path | None,
        typer.Option("--prefix", help="Install under PREFIX/share/jupyter (default: this venv)."),
    ] = None,
) -> None:
    """Register the opskit kernel where Jupyter looks, so `jupyter nbconvert --execute` and
    `papermill` run the notebooks straight from the venv (any runbook command does it too)."""
    from opskit.runbooks.kernel import install

    print(install(prefix))
