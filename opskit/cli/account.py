"""`opskit whoami | envs | exec | console`: who you are and where you may go."""

from __future__ import annotations

import os
import subprocess
from typing import Annotated

import typer

from opskit.cli.common import EnvOption, EnvsOption, Output, OutputOption, emit, workspace
from opskit.errors import ExitCode, UsageError

AccessOption = Annotated[
    str, typer.Option("--access", "-a", help="Access level (read, deploy, admin).")
]


def register(app: typer.Typer) -> None:
    app.command("whoami")(whoami)
    app.command("envs")(envs)
    app.command(
        "exec", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
    )(exec_)
    app.command("console")(console)


def whoami(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """The ops identity, its account and user, MFA state and cached sessions."""
    ws = workspace(ctx)
    who = ws.accounts.whoami()
    mfa_expiry = ws.accounts.mfa_active()
    sessions = {
        key: expiry.isoformat(timespec="seconds")
        for key, expiry in ws.accounts.cached_sessions().items()
    }
    data = {
        "arn": who.arn,
        "account": who.account_id,
        "user": who.user_name,
        "session_name": who.session_name,
        "login": ws.accounts.login.label or ws.accounts.login.kind,
        "endpoint": ws.accounts.endpoint_url() or "AWS",
        "mfa": (
            f"active until {mfa_expiry.isoformat(timespec='seconds')}"
            if mfa_expiry
            else ("configured, no session" if ws.config.ops.mfa_serial else "not configured")
        ),
        "cached_sessions": sessions,
    }
    emit(data, output)


def envs(ctx: typer.Context, env: EnvsOption = None, output: OutputOption = Output.table) -> int:
    """Every environment, and which access levels you can actually assume (checked live)."""
    from opskit.accounts import check_access

    ws = workspace(ctx)
    names = env or ws.config.env_names()
    for name in names:
        ws.config.environment(name)
    checks = check_access(ws.accounts, names)
    rows = []
    for name in names:
        cfg = ws.config.environments[name]
        mine = [c for c in checks if c.env == name]
        rows.append(
            {
                "environment": name,
                "account": cfg.account_id,
                "regions": cfg.regions,
                "protected": cfg.protected,
                "access": {c.access: ("yes" if c.allowed else "denied") for c in mine},
                "reason": next((c.reason for c in mine if not c.allowed), ""),
            }
        )
    emit(rows, output)
    return ExitCode.OK


def exec_(
    ctx: typer.Context,
    env: EnvOption,
    access: AccessOption = "read",
) -> int:
    """Run CMD with the role's AWS_* variables: opskit exec --env dev -- aws ecs list-clusters"""
    command = list(ctx.args)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError(
            "exec needs a command after --, e.g. opskit exec --env dev -- aws ecs list-clusters"
        )
    from opskit.accounts import exec_environment

    ws = workspace(ctx)
    variables = exec_environment(ws.accounts, env, access)
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    child_env.update(variables)
    try:
        return subprocess.call(command, env=child_env)
    except FileNotFoundError:
        raise UsageError(f"exec: command not found: {command[0]}") from None


def console(ctx: typer.Context, env: EnvOption, access: AccessOption = "read") -> None:
    """Print a federated AWS console sign-in URL for the environment's role."""
    from opskit.accounts import console_url

    ws = workspace(ctx)
    print(console_url(ws.accounts, env, access))
