"""`opskit`: the command line. Thin: parse, call the library, print, exit with a code.

Command modules import nothing heavy at import time, so `opskit --help` stays fast.
"""

from __future__ import annotations

import functools
import io
import logging
import os
import sys
from collections.abc import Sequence
from typing import Annotated, Any

import click
import typer
import typer.main
from typer._click import exceptions as typer_exceptions
from typer.core import TyperGroup

from opskit import __version__
from opskit.cli import account, audit, changes, config_cmd, costs, datadog, estate, runbook, sandbox
from opskit.cli import init_cmd as init_command
from opskit.cli import tui as tui_cmd
from opskit.cli.common import CliState
from opskit.costs.allocator import prefer_lean_allocator
from opskit.errors import (
    ExitCode,
    Interrupted,
    OpskitError,
    PipeClosed,
    UsageError,
    exit_code_for,
    one_line,
)


class OpskitGroup(TyperGroup):
    """The root command: a closed stdout anywhere below it becomes ``PipeClosed``.

    typer would turn it into ``sys.exit(1)`` with nothing said (its own EPIPE handling).
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            raise PipeClosed("stdout closed") from None


app = typer.Typer(
    cls=OpskitGroup,
    name="opskit",
    help="Run ECS services across one AWS account per environment: see, change, audit, cost.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        print(f"opskit {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", envvar="OPSKIT_CONFIG", help="environments.toml to use."),
    ] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Sandbox user to act as (alice, bob).")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log every AWS call to stderr.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Global options apply to every command."""
    ctx.obj = CliState(config_path=config, user=user, verbose=verbose)
    if verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
        for name in ("opskit",):
            logger = logging.getLogger(name)
            logger.setLevel(logging.DEBUG)
            logger.addHandler(handler)


for _commands in (
    init_command,
    config_cmd,
    account,
    tui_cmd,
    estate,
    changes,
    audit,
    runbook,
    costs,
    datadog,
    sandbox,
):
    _commands.register(app)


def invoke(args: Sequence[str] | None = None) -> int:
    """Run one command line; return its exit code. Never raises, never exits.

    Every way a command ends maps to one documented exit code (``exit_code_for``, the README
    table) and at most one line on stderr: parser errors (typer's own click and the click
    package alike) are usage errors (2); a closed stdout ends quietly with 141.
    """
    argv = list(sys.argv[1:] if args is None else args)
    try:
        result = _command().main(args=argv, prog_name="opskit", standalone_mode=False)
        code = int(result) if isinstance(result, int) else ExitCode.OK
        sys.stdout.flush()
    except (typer.Exit, click.exceptions.Exit) as done:
        code = done.exit_code
    except (typer.Abort, click.exceptions.Abort, KeyboardInterrupt):
        code = _fail(Interrupted("interrupted"))
    except (typer_exceptions.ClickException, click.ClickException) as error:
        code = _fail(UsageError(_usage_line(error)))
    except (OpskitError, BrokenPipeError) as error:
        code = _fail(error)
    except Exception as error:  # a bug: still one line, the traceback only with --verbose
        if "-v" in argv or "--verbose" in argv:
            raise
        code = _fail(
            OpskitError(
                f"unexpected {type(error).__name__}: {one_line(error)} (rerun with --verbose)"
            )
        )
    if code == ExitCode.PIPE_CLOSED:
        _silence_stdout()
    return int(code)


@functools.cache
def _command() -> Any:
    """The click command tree of ``app``, built once per process (typer builds it anew on
    every ``app()`` call: ~0.2 s, which in-process callers such as tests pay per line)."""
    return typer.main.get_command(app)


def _fail(error: BaseException) -> int:
    """Print the one line for ``error`` (nothing for a closed pipe) and give its exit code."""
    code = exit_code_for(error)
    if code != ExitCode.PIPE_CLOSED:
        print(f"opskit: {one_line(error)}", file=sys.stderr)
    return int(code)


def _usage_line(error: typer_exceptions.ClickException | click.ClickException) -> str:
    """A parser error as one line: the command, what is wrong, where help is."""
    ctx: Any = getattr(error, "ctx", None)
    path = ctx.command_path if ctx is not None else "opskit"
    where = path.partition(" ")[2]
    where = f"{where}: " if where else ""
    if isinstance(error, typer_exceptions.NoArgsIsHelpError | click.exceptions.NoArgsIsHelpError):
        group = ctx is not None and isinstance(ctx.command, click.Group | TyperGroup)
        names = ctx.command.list_commands(ctx) if group else []
        which = f" ({', '.join(names)})" if 0 < len(names) <= 10 else ""
        return f"{where}a command is needed{which}; see '{path} --help'"
    return f"{where}{error.format_message()} (see '{path} --help')"


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush to the closed pipe is quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        pass  # not a real file (in-process callers): nothing will flush to the pipe


def run() -> None:
    """Console-script entry point: one line and a documented exit code on any error."""
    prefer_lean_allocator()
    sys.exit(invoke())


if __name__ == "__main__":
    run()
