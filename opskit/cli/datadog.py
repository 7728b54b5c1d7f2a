"""`opskit events flush`, `opskit monitors plan | apply`: Datadog from the command line.

Thin: the library plans and applies (``opskit.datadog``); monitors apply is a change through
the engine, one per environment, so it is guarded (prod needs ``--confirm prod``), locked
and journaled like any other. datadog-api-client is imported only when a command runs.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opskit.cli.common import EnvsOption, Output, OutputOption, emit, progress, workspace
from opskit.errors import UsageError

if TYPE_CHECKING:
    from opskit.changes.plan import Plan
    from opskit.workspace import Workspace

events_app = typer.Typer(help="Datadog change events.", no_args_is_help=True)
monitors_app = typer.Typer(help="Datadog monitors as code.", no_args_is_help=True)
PruneOption = Annotated[
    bool, typer.Option("--prune", help="Also delete managed monitors the policy no longer has.")
]
ConfirmOption = Annotated[
    str | None, typer.Option("--confirm", help="Name of a protected environment to change.")
]


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")
    app.add_typer(monitors_app, name="monitors")


@events_app.command("flush")
def flush(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Send the change events waiting in the outbox (oldest first)."""
    from opskit.datadog.client import DatadogClient, DatadogError
    from opskit.datadog.events import post_change_event
    from opskit.datadog.outbox import FlushReport, Outbox

    ws = workspace(ctx)
    outbox = Outbox(ws.state_dir)
    report = FlushReport()
    if outbox.pending():
        client = DatadogClient.from_settings(ws.config.datadog)
        report = outbox.flush(lambda event: post_change_event(client, event))
    emit(dataclasses.asdict(report), output)
    if report.error:
        raise DatadogError(f"{report.waiting} event(s) still waiting: {report.error}")


def _envs(ws: Workspace, env: list[str] | None) -> list[str]:
    policy = ws.config.datadog.monitors
    chosen = env or policy.envs or ws.config.env_names()
    for name in chosen:
        ws.config.environment(name)
    if not ws.config.datadog.enabled:
        raise UsageError("Datadog is not enabled: set [datadog] enabled = true")
    return chosen


@monitors_app.command("plan")
def plan(
    ctx: typer.Context,
    env: EnvsOption = None,
    prune: PruneOption = False,
    output: OutputOption = Output.table,
) -> None:
    """What `monitors apply` would create, update and (with --prune) delete, per env."""
    from opskit.changes.monitors import MonitorsChange

    ws = workspace(ctx)
    rows: list[dict[str, Any]] = []
    data: dict[str, Any] = {}
    for name in _envs(ws, env):
        found = MonitorsChange(name, prune).monitor_plan(ws.config)
        data[name] = {
            "steps": [s.row() for s in found.steps],
            "unchanged": found.unchanged,
            "untracked": [s.row() for s in found.untracked],
        }
        rows += [{"env": name, **s.row()} for s in found.steps]
        rows += [
            {"env": name, **s.row(), "action": "untracked (--prune deletes)"}
            for s in found.untracked
        ]
    if output is Output.json:
        emit(data, output)
        return
    _print_steps(rows)
    for name, found_env in data.items():
        progress(
            f"{name}: {len(found_env['steps'])} to change, {found_env['unchanged']} "
            f"unchanged, {len(found_env['untracked'])} untracked"
        )


def _print_steps(rows: list[dict[str, Any]]) -> None:
    """One heading line per step, then each of its changes in full, indented (a plan is read
    by a person before an apply: nothing is cut to the terminal's width)."""
    for row in rows:
        monitor = f" (monitor {row['id']})" if row.get("id") is not None else ""
        print(f"{row['env']}  {row['action']}  {row['identity']}{monitor}  {row['name']}")
        for line in row.get("changes") or ():
            print(f"    {line}")
    if not rows:
        progress("(nothing to change)")


def _ask(plan: Plan) -> str:
    from opskit.changes.plan import describe

    for line in describe(plan.diffs)[:20]:
        progress(f"  {line[:160]}")
    return str(typer.prompt(f"{plan.env} is protected: type its name to apply", err=True))


@monitors_app.command("apply")
def apply(
    ctx: typer.Context,
    env: EnvsOption = None,
    prune: PruneOption = False,
    confirm: ConfirmOption = None,
    output: OutputOption = Output.table,
) -> None:
    """Make Datadog's monitors match the policy, one audited change per environment."""
    from opskit.audit import origin_from_environ
    from opskit.changes.engine import Engine
    from opskit.changes.monitors import MonitorsChange

    ws = workspace(ctx)
    engine = Engine.from_workspace(ws, origin=origin_from_environ("cli"), progress=progress)
    results: list[dict[str, Any]] = []
    try:
        for name in _envs(ws, env):
            planned = engine.plan(MonitorsChange(name, prune))
            if planned.empty:
                results.append(
                    {
                        "env": name,
                        "change": None,
                        "outcome": "unchanged",
                        "detail": "monitors already match the policy",
                    }
                )
                continue
            progress(planned.summary)
            ask = _ask if sys.stdin.isatty() and confirm is None else None
            result = engine.apply(planned, confirm=confirm, ask=ask)
            results.append(
                {
                    "env": name,
                    "change": planned.id,
                    "outcome": result.outcome,
                    "detail": result.detail,
                }
            )
    finally:  # what was done before a refusal or failure is still shown
        if results:
            emit(results, output, columns=["env", "change", "outcome", "detail"])
