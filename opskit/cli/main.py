"""`opskit`: the command line. Thin: parse, call the library, print, exit with a code.

Command modules import nothing heavy at import time, so `opskit --help` stays fast.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import click
import typer

from opskit import __version__
from opskit.cli import account, audit, changes, config_cmd, costs, datadog, estate, runbook, sandbox
from opskit.cli import tui as tui_cmd
from opskit.cli.common import CliState
from opskit.errors import ExitCode, Interrupted, OpskitError, UsageError, exit_code_for

app = typer.Typer(
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


# typer bundles its own click: its exceptions are not the click package's, so name both.
_USAGE = (click.ClickException, typer.TyperException)
_STOPPED = (click.exceptions.Abort, typer.Abort, KeyboardInterrupt)
_EXIT = (click.exceptions.Exit, typer.Exit)


def _as_opskit_error(error: BaseException) -> BaseException:
    """click's, typer's and Python's own stops as the opskit errors they mean (one exit table)."""
    if isinstance(error, _STOPPED):
        return Interrupted("interrupted")
    if isinstance(error, _USAGE):
        return UsageError(error.format_message())
    return error


def run() -> None:
    """Console-script entry point: one line and a documented exit code on any error."""
    code: int = ExitCode.OK
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else ExitCode.OK
    except _EXIT as done:
        code = done.exit_code
    except BrokenPipeError:  # the reader went away (`| head`): not an error
        code = ExitCode.OK
    except (Exception, KeyboardInterrupt) as raw:
        error = _as_opskit_error(raw)
        show = getattr(raw, "show", None) if isinstance(raw, _USAGE) else None
        if show is not None:
            show()  # the usage line and click's message
        elif isinstance(error, OpskitError):
            print(f"opskit: {error}", file=sys.stderr)
        elif "-v" in sys.argv or "--verbose" in sys.argv:  # a bug: traceback only when asked
            raise
        else:
            print(
                f"opskit: unexpected {type(error).__name__}: {error} (rerun with --verbose)",
                file=sys.stderr,
            )
        code = exit_code_for(error)
    sys.exit(int(code))


if __name__ == "__main__":
    run()
