"""What every command shares: global options, the workspace, output and progress.

Manners (gh / AWS CLI): data on stdout, diagnostics and progress on stderr;
``--output json`` prints pure JSON (numbers as numbers, ISO 8601 times); tables adapt to
the terminal, and off a terminal (piped, redirected) print full values tab-separated, one
row a line, as ``gh`` does, so ``cut -f`` and ``awk -F'\t'`` see whole ids.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from opskit.workspace import Workspace


class Output(StrEnum):
    table = "table"
    json = "json"


OutputOption = Annotated[
    Output, typer.Option("--output", "-o", help="table for people, json for programs.")
]
EnvOption = Annotated[str, typer.Option("--env", "-e", help="Environment name.")]
EnvsOption = Annotated[
    list[str] | None, typer.Option("--env", "-e", help="Environment(s); default: all.")
]


@dataclass
class CliState:
    """The global options, kept on the click context."""

    config_path: str | None = None
    user: str | None = None
    verbose: bool = False
    _workspace: Workspace | None = field(default=None, repr=False)


def state(ctx: typer.Context) -> CliState:
    root = ctx.find_root()
    if not isinstance(root.obj, CliState):
        root.obj = CliState()
    return root.obj


def workspace(ctx: typer.Context, front_end: str = "cli") -> Workspace:
    """The workspace for this invocation (built once; starts the sandbox if configured)."""
    cli = state(ctx)
    if cli._workspace is None:
        from opskit.workspace import open_workspace

        cli._workspace = open_workspace(
            cli.config_path, user=cli.user, front_end=front_end, mfa_prompt=ask_mfa
        )
    return cli._workspace


def load_config_only(ctx: typer.Context) -> Any:
    """The config alone, without logging in or starting anything."""
    from opskit.config import load_config

    return load_config(state(ctx).config_path)


def ask_mfa(serial: str) -> str:
    from opskit.errors import AuthError

    if not sys.stdin.isatty():
        raise AuthError(f"MFA code needed for {serial}, but stdin is not a terminal")
    return str(typer.prompt(f"MFA code for {serial}", err=True))


def progress(message: str) -> None:
    """One line of progress on stderr (never on stdout, which is for data)."""
    print(message, file=sys.stderr, flush=True)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, default=_json_value, sort_keys=False))


def _json_value(value: Any) -> Any:
    """What ``json`` cannot encode itself: times as ISO 8601 UTC, sets as lists, else str."""
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return aware.astimezone(dt.UTC).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    return str(value)


def is_terminal() -> bool:
    """Whether stdout is a terminal (a person) rather than a pipe or a file (a program)."""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def emit(
    data: Any,
    output: Output,
    *,
    columns: list[str] | None = None,
    title: str | None = None,
) -> None:
    """Print rows (list of dicts) or one record (dict) as a table or as JSON."""
    if output is Output.json:
        print_json(data)
        return
    if not is_terminal():
        _print_plain(data, columns, title)
        return
    from rich.table import Table
    from rich.text import Text

    console = _console()
    if isinstance(data, dict):
        table = Table(title=title, show_header=False, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for key, value in data.items():
            table.add_row(Text(str(key)), Text(_cell(value)))
        console.print(table)
        return
    rows = list(data)
    cols = columns or (list(rows[0]) if rows else [])
    table = Table(title=title, header_style="bold", box=None, pad_edge=False)
    for col in cols:
        table.add_column(col.replace("_", " ").upper())
    for row in rows:
        table.add_row(*(Text(_cell(row.get(col))) for col in cols))
    console.print(table)
    if not rows:
        progress("(nothing to show)")


def _print_plain(data: Any, columns: list[str] | None, title: str | None) -> None:
    """Off a terminal: a header line, then one tab-separated line per row, nothing cut."""
    if title:
        print(title)
    if isinstance(data, dict):
        for key, value in data.items():
            print(f"{key}\t{_plain(value)}")
        return
    rows = list(data)
    cols = columns or (list(rows[0]) if rows else [])
    if rows:
        print("\t".join(col.replace("_", " ").upper() for col in cols))
    for row in rows:
        print("\t".join(_plain(row.get(col)) for col in cols))
    if not rows:
        progress("(nothing to show)")


def _plain(value: Any) -> str:
    """A cell on one line: tabs and newlines inside a value become spaces."""
    return " ".join(_cell(value).replace("\t", " ").splitlines()) or "-"


def _console() -> Any:
    """rich's Console, but a closed stdout raises ``BrokenPipeError`` (the CLI then ends
    quietly with 141) instead of rich's own silent ``SystemExit(1)``."""
    from rich.console import Console

    class PipeConsole(Console):
        def on_broken_pipe(self) -> None:
            self.quiet = True
            raise BrokenPipeError("stdout closed")

    return PipeConsole(soft_wrap=False)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
