"""`opskit audit log|show|verify|init|repair`: read, check, set up and repair the journal.

Without ``[audit] s3_bucket`` these read the local journal file only (no login, no AWS).
With it, ``log`` and ``show`` read the team journal (everyone's changes) and ``verify``
checks the local journal and the team journal against each other. ``repair`` seals a
torn last line (a crash mid-write) with a ``truncated`` record.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from opskit.cli.common import (
    EnvsOption,
    Output,
    OutputOption,
    emit,
    load_config_only,
    print_json,
    workspace,
)

if TYPE_CHECKING:
    from opskit.audit import Journal
    from opskit.audit.team import TeamStore

audit_app = typer.Typer(help="The audit journal of every change.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _journal(ctx: typer.Context) -> tuple[Journal, TeamStore | None]:
    """The local journal (signed as it is written) and the team journal, when configured.

    Only a journal with neither a team bucket nor a KMS key is read without logging in.
    """
    from opskit.audit.setup import open_journal
    from opskit.workspace import journal_path, state_dir

    config = load_config_only(ctx)
    if not config.audit.s3_bucket and not config.audit.kms_key_id:  # no AWS needed
        state = state_dir()
        return open_journal(config, None, state, journal_path(config, state)), None
    ws = workspace(ctx)
    journal = open_journal(ws.config, ws.accounts, ws.state_dir, ws.journal_path)
    store: TeamStore | None = journal.shipper  # type: ignore[assignment]
    return journal, store


def _records(ctx: typer.Context) -> list[dict[str, Any]]:
    """What ``log`` and ``show`` read: the team journal when there is one, else local."""
    journal, store = _journal(ctx)
    return list(store.records() if store is not None else journal.records())


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
    entries = changes(_records(ctx), since=cutoff)
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

    entry = find_change(changes(_records(ctx)), change_id)
    if output is Output.json:
        print_json({**entry.summary_row(), "records": entry.records})
        return
    from opskit.cli.audit_show import change_view
    from opskit.cli.common import _console

    _console().print(change_view(entry))


@audit_app.command("verify")
def verify_(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Check the hash chain and signatures: exits 1 naming every edited, inserted, deleted,
    reordered, forged or cut-off record (and, with a team journal, every record missing,
    changed or overwritten there, or deleted locally)."""
    from opskit.audit import JournalError, changes, verify
    from opskit.audit.team_verify import team_verify

    journal, store = _journal(ctx)
    incomplete = [e.change_id for e in changes(journal.records()) if e.status == "incomplete"]
    if store is None:
        result = verify(journal)
        ok, lines, data = result.ok, [str(result)], result.to_json()
    else:
        team = team_verify(journal, store)
        ok, lines, data = team.ok, team.lines(), team.to_json()
    if output is Output.json:
        print_json({**data, "incomplete": incomplete})
    else:
        for line in lines:
            print(line)
        for change_id in incomplete:
            print(f"incomplete: change {change_id} has an intent but no outcome (a crash?)")
    if not ok:
        first = next((line for line in lines if not line.endswith("intact")), lines[0])
        if store is not None:
            first = next((line for line in lines if line.startswith("problem:")), lines[0])
        raise JournalError(f"audit journal verification failed: {first.removeprefix('problem: ')}")


@audit_app.command("init")
def init(
    ctx: typer.Context,
    bucket: Annotated[str, typer.Option("--bucket", help="The bucket to create (ops account).")],
    prefix: Annotated[str, typer.Option("--prefix", help="Key prefix, ending in /.")] = "opskit/",
    retention_days: Annotated[
        int, typer.Option("--retention-days", min=1, max=36500, help="Object Lock retention.")
    ] = 365,
    kms_alias: Annotated[
        str, typer.Option("--kms-alias", help="HMAC key alias to create; '' for none.")
    ] = "alias/opskit-audit",
    output: OutputOption = Output.table,
) -> None:
    """Set up a team journal: the bucket (Object Lock, compliance mode; versioning) and
    the KMS signing key in the ops account; prints the [audit] lines for environments.toml."""
    from opskit.audit.init import init_team
    from opskit.config.model import Audit
    from opskit.errors import UsageError

    try:
        Audit(s3_bucket=bucket, prefix=prefix, retention_days=retention_days)
    except ValueError:
        raise UsageError(
            f"--bucket '{bucket}' / --prefix '{prefix}': a bucket name is 3-63 of a-z 0-9 . -, "
            "a prefix ends in /"
        ) from None
    if kms_alias and not kms_alias.startswith("alias/"):
        raise UsageError(f"--kms-alias '{kms_alias}': a KMS alias starts with alias/")
    ws = workspace(ctx)
    setup = init_team(
        ws.accounts,
        ws.config.ops.region,
        bucket,
        prefix=prefix,
        retention_days=retention_days,
        kms_alias=kms_alias or None,
    )
    if output is Output.json:
        print_json({**setup.__dict__, "config": setup.config_lines()})
        return
    print(f"s3://{bucket}: {'created' if setup.created else 'exists'}, {setup.object_lock}")
    print("add to environments.toml:")
    for line in setup.config_lines():
        print(line)


@audit_app.command("repair")
def repair_(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Seal a journal whose last line a crash tore: cut it (kept aside, its SHA-256 in
    a `truncated` record) so changes can be journaled again. Anything else damaged is
    left alone and reported (exit 1)."""
    from opskit.audit.repair import repair

    journal, _ = _journal(ctx)
    done = repair(journal)
    if output is Output.json:
        print_json(done.to_json())
    else:
        print(str(done))
