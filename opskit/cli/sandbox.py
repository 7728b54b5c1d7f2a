"""`opskit sandbox start|stop|status|reset` and `opskit sandbox faults set|list|clear`.

The sandbox is opskit's embedded fake AWS: these commands manage its background process
and its fault rules. Nothing heavy is imported until a command runs.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opskit.cli.common import Output, OutputOption, emit, load_config_only, progress
from opskit.errors import UsageError

if TYPE_CHECKING:
    from opskit.sandbox_port import SandboxPort


class Scale(StrEnum):
    normal = "normal"
    large = "large"


class Kind(StrEnum):
    throttle = "throttle"
    error = "error"
    latency = "latency"
    deny = "deny"


ScaleOption = Annotated[
    Scale | None, typer.Option("--scale", help="Estate size (default: [sandbox] scale).")
]
TimeFactorOption = Annotated[
    float | None,
    typer.Option("--time-factor", min=1, max=1000, help="Sandbox time speed-up (default: config)."),
]


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="The embedded sandbox: a fake AWS estate on loopback.", no_args_is_help=True
    )
    group.command("start")(start)
    group.command("stop")(stop)
    group.command("status")(status)
    group.command("reset")(reset)
    faults = typer.Typer(
        help="Make AWS operations throttle, fail or slow down.", no_args_is_help=True
    )
    faults.command("set")(faults_set)
    faults.command("list")(faults_list)
    faults.command("clear")(faults_clear)
    group.add_typer(faults, name="faults")
    app.add_typer(group, name="sandbox")


def _port() -> SandboxPort:
    from opskit.workspace import sandbox_port

    return sandbox_port()


def _state_dir() -> Path:
    from opskit.workspace import state_dir

    return state_dir()


def _sandbox_config(ctx: typer.Context) -> Any:
    config = load_config_only(ctx)
    if not config.sandbox.enabled:
        raise UsageError(f"{config.path}: [sandbox] is not enabled; this config talks to AWS")
    return config


def _running(state: Path) -> Any:
    sandbox_status = _port().status

    info = sandbox_status(state)
    if info is None:
        raise UsageError("the sandbox is not running (start it with `opskit sandbox start`)")
    return info


def _show(info: Any, output: Output) -> None:
    data = info.public()
    if output is Output.json:
        emit(data, output)
        return
    emit(
        {
            "endpoint": info.endpoint_url,
            "pid": info.pid,
            "uptime": f"{data['uptime_seconds']:.0f} s",
            "accounts": info.accounts,
            "users": {name: user.arn for name, user in info.users.items()},
            "datadog": info.datadog_url,
            "scale": info.scale,
            "time factor": info.time_factor,
            "moto": info.moto_version,
            "config": info.config_path,
        },
        output,
    )


def start(
    ctx: typer.Context,
    scale: ScaleOption = None,
    time_factor: TimeFactorOption = None,
    output: OutputOption = Output.table,
) -> None:
    """Start the sandbox (if it is not running) and wait until it answers."""
    ensure_running = _port().ensure_running

    config = _sandbox_config(ctx)
    progress("starting the sandbox (if needed)…")
    info = ensure_running(
        config, _state_dir(), scale=scale.value if scale else None, time_factor=time_factor
    )
    _show(info, output)


def stop(ctx: typer.Context) -> None:
    """Stop this state directory's sandbox (only its own process)."""
    stop_sandbox = _port().stop

    progress("sandbox stopped" if stop_sandbox(_state_dir()) else "sandbox was not running")


def status(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """Show the running sandbox: endpoint, accounts, users, uptime."""
    sandbox_status = _port().status

    info = sandbox_status(_state_dir())
    if info is None:
        if output is Output.json:
            emit({"running": False}, output)
        else:
            progress("sandbox is not running")
        return
    _show(info, output)


def reset(
    ctx: typer.Context,
    scale: ScaleOption = None,
    time_factor: TimeFactorOption = None,
    output: OutputOption = Output.table,
) -> None:
    """Stop the sandbox and start a freshly seeded one (all changes are lost)."""
    reset_sandbox = _port().reset

    config = _sandbox_config(ctx)
    progress("resetting the sandbox…")
    info = reset_sandbox(
        config, _state_dir(), scale=scale.value if scale else None, time_factor=time_factor
    )
    _show(info, output)


def faults_set(
    ctx: typer.Context,
    service: Annotated[str, typer.Option("--service", "-s", help="boto3 service name, or *.")],
    operation: Annotated[str, typer.Option("--operation", "-p", help="API, glob or *.")] = "*",
    kind: Annotated[Kind, typer.Option("--kind", "-k", help="What happens.")] = Kind.throttle,
    rate: Annotated[float, typer.Option("--rate", min=0, max=1, help="Share of calls hit.")] = 1.0,
    delay_ms: Annotated[int, typer.Option("--delay-ms", min=0, max=60000, help="Added delay.")] = 0,
    account: Annotated[
        str | None, typer.Option("--account", "-a", help="Only this env (name) or account id.")
    ] = None,
    count: Annotated[
        int | None, typer.Option("--count", min=1, help="Fire at most this many times.")
    ] = None,
    output: OutputOption = Output.table,
) -> None:
    """Add a fault rule, e.g. `-s ecs -p ListServices -k throttle --rate 0.3`."""
    set_fault = _port().set_fault
    ensure_running = _port().ensure_running

    config = _sandbox_config(ctx)
    account_id = _account_id(config, account)
    info = ensure_running(config, _state_dir())
    rule = set_fault(
        info,
        service=service,
        operation=operation,
        kind=kind.value,
        rate=rate,
        delay_ms=delay_ms,
        account=account_id,
        count=count,
    )
    emit(rule, output)


def _account_id(config: Any, account: str | None) -> str | None:
    if account is None or (account.isdigit() and len(account) == 12):
        return account
    if account == config.ops.name:
        return str(config.ops.account_id)
    return str(config.environment(account).account_id)


def faults_list(ctx: typer.Context, output: OutputOption = Output.table) -> None:
    """List the fault rules and how often each has fired."""
    list_faults = _port().list_faults

    rules = list_faults(_running(_state_dir()))
    columns = [
        "id",
        "service",
        "operation",
        "account",
        "kind",
        "rate",
        "delay_ms",
        "count",
        "fired",
    ]
    emit(rules, output, columns=columns)


def faults_clear(
    ctx: typer.Context,
    rule_id: Annotated[str | None, typer.Option("--id", help="Remove only this rule.")] = None,
) -> None:
    """Remove every fault rule (or one, with --id)."""
    clear_faults = _port().clear_faults
    sandbox_status = _port().status

    info = sandbox_status(_state_dir())
    removed = clear_faults(info, rule_id) if info is not None else 0
    progress(f"{removed} fault rule(s) removed")
