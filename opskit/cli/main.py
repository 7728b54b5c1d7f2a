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
from opskit.errors import ExitCode, OpskitError

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


def run() -> None:
    """Console-script entry point: one line and a documented exit code on any error."""
    code: int = ExitCode.OK
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else ExitCode.OK
    except click.exceptions.Exit as done:
        code = done.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        print("opskit: interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except click.ClickException as error:
        error.show()
        code = ExitCode.USAGE
    except typer.Exit as done:  # typer bundles its own click: its exceptions are its own
        code = done.exit_code
    except typer.Abort:
        print("opskit: interrupted", file=sys.stderr)
        code = ExitCode.INTERRUPTED
    except typer.TyperException as error:  # typer's UsageError, BadParameter, NoSuchOption…
        formatter = getattr(error, "format_message", None)
        message = formatter() if callable(formatter) else str(error)
        if type(error).__name__ == "NoArgsIsHelpError":
            print(message, file=sys.stderr)  # the help text itself
        else:
            print(f"opskit: {message} (see --help)", file=sys.stderr)
        code = ExitCode.USAGE
    except OpskitError as error:
        print(f"opskit: {error}", file=sys.stderr)
        code = error.exit_code
    except BrokenPipeError:
        code = ExitCode.OK
    except Exception as error:  # a bug: still one line, the traceback only with --verbose
        if "-v" in sys.argv or "--verbose" in sys.argv:
            raise
        print(
            f"opskit: unexpected {type(error).__name__}: {error} (rerun with --verbose)",
            file=sys.stderr,
        )
        code = ExitCode.FAILURE
    sys.exit(int(code))


if __name__ == "__main__":
    run()
