"""`opskit init`: write a commented environments.toml for an estate that exists already.

Reads the Organization from the ops login, probes the access roles, finds the regions with
ECS clusters, and writes what it found (see ``opskit.config.template``). The same estate
gives the same file: a second run with nothing changed says so and exits 0; a file that
differs is never overwritten without ``--force`` (exit 7, refused).
"""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opskit.cli.common import progress, state
from opskit.errors import ExitCode, RefusedError, UsageError

if TYPE_CHECKING:
    from opskit.accounts import Login


class LoginKind(StrEnum):
    profile = "profile"
    sso = "sso"
    environment = "environment"
    sandbox = "sandbox"


def register(app: typer.Typer) -> None:
    app.command("init")(init)


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def _role_names(text: str | None) -> dict[str, tuple[str, ...]] | None:
    """``read=opskit-read,deploy=ci-deploy`` -> level -> names (a level may repeat)."""
    if not text:
        return None
    names: dict[str, tuple[str, ...]] = {}
    for item in _split(text):
        level, sep, role = item.partition("=")
        if not sep or not level.strip() or not role.strip():
            raise UsageError(f"--role-names: '{item}' is not LEVEL=ROLE (e.g. read=opskit-read)")
        names[level.strip()] = (*names.get(level.strip(), ()), role.strip())
    if "read" not in names:
        raise UsageError("--role-names: name the read role too (read=NAME)")
    return names


def init(
    ctx: typer.Context,
    out: Annotated[
        Path, typer.Option("--out", help="File to write (default: ./environments.toml).")
    ] = Path("environments.toml"),
    login: Annotated[
        LoginKind | None,
        typer.Option(
            "--login",
            help="How the ops login is found (default: profile with "
            "--profile, else environment credentials).",
        ),
    ] = None,
    profile: Annotated[str | None, typer.Option("--profile", help="AWS profile.")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Ops region (default: the profile's).")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="Any AWS-compatible endpoint.")
    ] = None,
    accounts: Annotated[
        str | None, typer.Option("--accounts", help="Only these accounts (ids or names, a,b).")
    ] = None,
    role_names: Annotated[
        str | None,
        typer.Option("--role-names", help="Roles to use, LEVEL=NAME,… (default: probe)."),
    ] = None,
    regions: Annotated[
        str | None, typer.Option("--regions", help="Regions to look for clusters in (a,b).")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite a different file.")] = False,
) -> int:
    """Write a commented environments.toml for your existing estate (then `config check`)."""
    from opskit.accounts.discover import Request, discover
    from opskit.config.template import render

    kind = login or (LoginKind.profile if profile else LoginKind.environment)
    if profile and kind not in (LoginKind.profile, LoginKind.sso):
        raise UsageError(f"--profile needs --login profile or sso, not {kind.value}")
    if out.exists() and out.is_dir():
        raise UsageError(f"--out {out} is a folder; name the file to write")
    the_login, ops_region = _login(ctx, kind, profile, region, endpoint_url)
    progress("reading the Organization, probing roles and regions…")
    found = discover(
        Request(
            login=the_login,
            login_kind=kind.value,
            region=ops_region,
            endpoint_url=endpoint_url,
            accounts=_split(accounts),
            role_names=_role_names(role_names),
            regions=_split(regions),
        )
    )
    text = render(found)
    if out.exists():
        if out.read_text(encoding="utf-8") == text:
            progress(f"{out}: already describes this estate (unchanged)")
            return ExitCode.OK
        if not force:
            raise RefusedError(f"{out} exists and differs; --force overwrites it")
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, out)
    envs = len(found.accounts)
    progress(f"{out}: {envs} environments written; check it with `opskit --config {out} "
             "config check`")  # fmt: skip
    return ExitCode.OK


def _login(
    ctx: typer.Context,
    kind: LoginKind,
    profile: str | None,
    region: str | None,
    endpoint_url: str | None,
) -> tuple[Login, str]:
    """The ops login to discover with, and the ops region."""
    from opskit.accounts import Login

    if kind is LoginKind.sandbox:
        if endpoint_url:
            raise UsageError("--endpoint-url is for a real login; the sandbox has its own")
        return _sandbox_login(ctx), region or "eu-west-1"
    from opskit.accounts.discover import home_region

    label = f"profile {profile}" if profile else "environment credentials"
    the_login = Login(kind=kind.value, profile=profile, endpoint_url=endpoint_url, label=label)
    found = region or home_region(the_login)
    if not found:
        raise UsageError("no region: pass --region (the ops account's home region)")
    return the_login, found


def _sandbox_login(ctx: typer.Context) -> Login:
    """The running sandbox's user (``--user``, default alice) as the ops login."""
    from opskit.config import load_config
    from opskit.paths import state_dir
    from opskit.workspace import sandbox_port, sandbox_user_login

    port = sandbox_port()
    info = port.read_state(state_dir())
    if info is None:
        try:  # start it with the config at hand (the repository's describes the demo)
            config = load_config(state(ctx).config_path)
        except Exception:
            raise UsageError(
                "no sandbox is running: start one with `opskit sandbox start`"
            ) from None
        info = port.ensure_running(config, state_dir())
    name = state(ctx).user or os.environ.get("OPSKIT_SANDBOX_USER") or "alice"
    return sandbox_user_login(info, name)
