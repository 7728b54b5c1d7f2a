"""`opskit audit log|show|verify|repair`: read, check and repair the journal of every change.

These commands read the journal file only: no login, no AWS, no sandbox. `repair` seals a
torn last line (a crash mid-write) with a `truncated` record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from opskit.cli.common import EnvsOption, Output, OutputOption, emit, load_config_only, print_json

if TYPE_CHECKING:
    from opskit.audit import Journal

audit_app = typer.Typer(help="The audit journal of every change.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _journal(ctx: typer.Context) -> Journal:
    from opskit.audit import Journal
    from opskit.workspace import journal_path, state_dir

    return Journal(journal_path(load_config_only(ctx), state_dir()))


@audit_app.command("log")
def log(
    ctx: typer.Context,
    env: EnvsOption = None,
    since: Annotated[
        str | None, typer.Option("--since", help="10m, 2h, 3d, 1w or an ISO date.")
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Changes, oldest first: who did what where, and how each ended (or `incomplete`)."""
    from opskit.audit import changes, parse_since

    cutoff = parse_since(since) if since else None
    entries = changes(_journal(ctx).records(), since=cutoff)
    if env:
        entries = [e for e in entries if e.env in env]
    rows = [e.summary_row() for e in entries]
    columns = ["id", "at", "env", "user", "change", "status", "summary", "front_end"]
    emit(rows, output, columns=columns)


@audit_app.command("show")
def show(
    ctx: typer.Context,
    change_id: Annotated[str, typer.Argument(help="A change id (or a unique prefix of one).")],
    output: OutputOption = Output.table,
) -> None:
    """One change: who, where, how, every diff, the outcome and its timings."""
    from opskit.audit import changes, find_change

    entry = find_change(changes(_journal(ctx).records()), change_id)
    if output is Output.json:
        print_json({**entry.summary_row(), "records": entry.records})
        return
    first = entry.first
    how: dict[str, Any] = dict(first.get("how", {}))
    runbook = how.pop("runbook", None) or {}
    details = {
        **entry.summary_row(),
        "who": first.get("who", {}),
        "where": first.get("where", {}),
        "how": how,
        "runbook": runbook or None,
        "params": first.get("params", {}),
        "records": ", ".join(f"#{r['seq']} {r['type']}" for r in entry.records),
        "timings": (entry.outcome or {}).get("timings"),
        "data": (entry.outcome or {}).get("data"),
    }
    emit(details, output, title=f"change {entry.change_id}")
    diffs = first.get("what", {}).get("diffs", [])
    emit(diffs, output, columns=["resource", "field", "before", "after"], title="diffs")


@audit_app.command("verify")
def verify_(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Check the hash chain: exits non-zero naming the first edited, inserted, deleted,
    reordered or cut-off record."""
    from opskit.audit import JournalError, changes, verify

    journal = _journal(ctx)
    result = verify(journal)
    incomplete = [e.change_id for e in changes(journal.records()) if e.status == "incomplete"]
    if output is Output.json:
        print_json({**result.to_json(), "incomplete": incomplete})
    else:
        print(str(result))
        for change_id in incomplete:
            print(f"incomplete: change {change_id} has an intent but no outcome (a crash?)")
    if not result.ok:
        raise JournalError(f"audit journal verification failed: {result}")


@audit_app.command("repair")
def repair_(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Seal a journal whose last line a crash tore: cut it (kept aside, its SHA-256 in
    a `truncated` record) so changes can be journaled again. Anything else damaged is
    left alone and reported (exit 1)."""
    from opskit.audit.repair import repair

    done = repair(_journal(ctx))
    if output is Output.json:
        print_json(done.to_json())
    else:
        print(str(done))
