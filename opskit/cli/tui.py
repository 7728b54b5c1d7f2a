"""`opskit tui`: the live dashboard across every environment the user may enter.

Thin: reads the config, builds the session's settings and hands them to the Textual app
(imported here, inside the command, so no other command ever loads Textual).
"""

from __future__ import annotations

from typing import Annotated

import typer

from opskit.cli.common import EnvsOption, load_config_only, state, workspace


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)


def tui(
    ctx: typer.Context,
    env: EnvsOption = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Sandbox user to act as (alice, bob).")
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Hide every action: look, never change.")
    ] = False,
    refresh: Annotated[
        float | None,
        typer.Option("--refresh", help="Seconds between refreshes (default: [tui] in the config)."),
    ] = None,
) -> int:
    """Open the live dashboard: every environment side by side, drill down, act."""
    from tui.app import OpskitApp
    from tui.library import LibrarySource
    from tui.settings import Settings

    config = load_config_only(ctx)
    who = user or state(ctx).user
    if who:
        state(ctx).user = who
    settings = Settings.from_config(
        config, env or (), user=who, read_only=read_only, refresh=refresh
    )
    source = LibrarySource(config, who)
    if config.ops.mfa_serial:
        # Ask for the MFA code on the terminal now, before the screen is taken over.
        ws = workspace(ctx, front_end="tui")
        ws.accounts.credentials(settings.envs[0], "read")
        source.adopt(ws)
    app = OpskitApp(config, source, settings)
    app.run()
    return int(app.return_code or 0)
