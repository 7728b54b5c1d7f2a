"""`opskit deploy|scale|restart|rollback|stop-task|apply`, `opskit elb draining`,
`opskit dns shift`: every change, planned, shown, guarded and applied by the engine.

Each command plans first and shows the plan (stdout), then applies it unless ``--dry-run``
(show only) or ``--plan-out FILE`` (save it for ``opskit apply FILE``). Progress goes to
stderr. A protected environment asks for its name when stdin is a terminal, else needs
``--confirm ENV``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opskit.cli.common import EnvOption, Output, OutputOption, emit, print_json, progress, workspace

if TYPE_CHECKING:
    from opskit.changes import Change, Engine, Plan, Result

PlanOut = Annotated[
    Path | None, typer.Option("--plan-out", help="Save the plan to FILE instead of applying it.")
]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show the plan; change nothing.")]
Confirm = Annotated[
    str | None, typer.Option("--confirm", help="Confirm a protected environment by name.")
]
Access = Annotated[
    str, typer.Option("--access", help="Access level to act with (read, deploy, admin).")
]
NoWait = Annotated[bool, typer.Option("--no-wait", help="Start the change; do not wait.")]
Timeout = Annotated[
    float | None, typer.Option("--timeout", help="Seconds to wait before rolling back.")
]
OverrideFreeze = Annotated[
    bool,
    typer.Option("--override-freeze", help="Change during a freeze (admin only; needs --reason)."),
]
Reason = Annotated[
    str | None, typer.Option("--reason", help="Why the freeze is overridden (journaled).")
]


def register(app: typer.Typer) -> None:
    app.command("deploy")(deploy)
    app.command("promote")(promote)
    app.command("scale")(scale)
    app.command("restart")(restart)
    app.command("rollback")(rollback)
    app.command("stop-task")(stop_task)
    app.command("apply")(apply)
    elb = typer.Typer(help="Load balancer changes.", no_args_is_help=True)
    elb.command("draining")(draining)
    app.add_typer(elb, name="elb")
    dns = typer.Typer(help="DNS changes.", no_args_is_help=True)
    dns.command("shift")(shift)
    app.add_typer(dns, name="dns")


def deploy(
    ctx: typer.Context,
    services: Annotated[list[str], typer.Argument(help="Service(s): NAME or CLUSTER/NAME.")],
    env: EnvOption,
    image: Annotated[
        list[str],
        typer.Option("--image", help="TAG, REPO:TAG, CONTAINER=TAG or CONTAINER=REPO:TAG."),
    ],
    no_wait: NoWait = False,
    timeout: Timeout = None,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    override_freeze: OverrideFreeze = False,
    reason: Reason = None,
    output: OutputOption = Output.table,
) -> None:
    """Deploy new image tag(s): new task definition revision, rolled out, waited for;
    rolled back automatically if it fails. Several services go one at a time, all or
    nothing: a failure at one rolls back those already changed, last first."""
    from opskit.changes import validate
    from opskit.changes.deploy import DeployChange

    override = _override(override_freeze, reason)
    change = DeployChange(env, tuple(services), validate.image_specs(image))
    _run(ctx, change, plan_out, dry_run, confirm, access, output, not no_wait, timeout, override)


def promote(
    ctx: typer.Context,
    services: Annotated[
        list[str] | None, typer.Argument(help="Service(s): NAME or CLUSTER/NAME.")
    ] = None,
    source: Annotated[
        str, typer.Option("--from", help="The environment that proved the images.")
    ] = "stage",
    env: Annotated[str, typer.Option("--to", help="The environment to promote to.")] = "prod",
    all_services: Annotated[
        bool, typer.Option("--all", help="Every service whose running digests differ.")
    ] = False,
    no_wait: NoWait = False,
    timeout: Timeout = None,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    override_freeze: OverrideFreeze = False,
    reason: Reason = None,
    output: OutputOption = Output.table,
) -> None:
    """Deploy to --to exactly the image digests --from runs, once --from has soaked
    ([promotion] soak_minutes: steady, no failed deployment, no monitor in alert);
    refused (exit 7) otherwise, saying which condition failed."""
    from opskit.changes.promote import PromoteChange
    from opskit.errors import UsageError

    if all_services and services:
        raise UsageError("promote: give SERVICE names or --all, not both")
    override = _override(override_freeze, reason)
    change = PromoteChange(source, env, tuple(services or ()), all_services)
    _run(ctx, change, plan_out, dry_run, confirm, access, output, not no_wait, timeout, override)


def _override(override_freeze: bool, reason: str | None) -> str | None:
    """The freeze override's reason; UsageError when one comes without the other."""
    from opskit.errors import UsageError

    if override_freeze and not (reason or "").strip():
        raise UsageError("--override-freeze needs --reason TEXT (it is journaled)")
    if reason is not None and not override_freeze:
        raise UsageError("--reason goes with --override-freeze")
    return reason.strip() if override_freeze and reason else None


def scale(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service: NAME or CLUSTER/NAME.")],
    count: Annotated[int, typer.Argument(help="Desired task count.", min=0)],
    env: EnvOption,
    no_wait: NoWait = False,
    timeout: Timeout = None,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    override_freeze: OverrideFreeze = False,
    reason: Reason = None,
    output: OutputOption = Output.table,
) -> None:
    """Set a service's desired count (within its bounds in environments.toml)."""
    from opskit.changes.service_changes import ScaleChange

    change = ScaleChange(env, service, count)
    override = _override(override_freeze, reason)
    _run(ctx, change, plan_out, dry_run, confirm, access, output, not no_wait, timeout, override)


def restart(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service: NAME or CLUSTER/NAME.")],
    env: EnvOption,
    no_wait: NoWait = False,
    timeout: Timeout = None,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    override_freeze: OverrideFreeze = False,
    reason: Reason = None,
    output: OutputOption = Output.table,
) -> None:
    """Replace every task of a service (forced new deployment)."""
    from opskit.changes.service_changes import RestartChange

    change = RestartChange(env, service)
    override = _override(override_freeze, reason)
    _run(ctx, change, plan_out, dry_run, confirm, access, output, not no_wait, timeout, override)


def rollback(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service: NAME or CLUSTER/NAME.")],
    env: EnvOption,
    revision: Annotated[
        int | None, typer.Option("--revision", help="Revision number (default: previous).")
    ] = None,
    no_wait: NoWait = False,
    timeout: Timeout = None,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    override_freeze: OverrideFreeze = False,
    reason: Reason = None,
    output: OutputOption = Output.table,
) -> None:
    """Switch a service back to its previous (or a named) task definition revision."""
    from opskit.changes import validate
    from opskit.changes.service_changes import RollbackChange

    change = RollbackChange(env, service, validate.revision(revision))
    override = _override(override_freeze, reason)
    _run(ctx, change, plan_out, dry_run, confirm, access, output, not no_wait, timeout, override)


def stop_task(
    ctx: typer.Context,
    task: Annotated[str, typer.Argument(help="Task id, ARN, or any unique prefix of the id.")],
    env: EnvOption,
    service: Annotated[
        str | None, typer.Option("--service", help="The task's service (gives the cluster).")
    ] = None,
    cluster: Annotated[
        str | None, typer.Option("--cluster", help="The task's cluster (or REGION:CLUSTER).")
    ] = None,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    output: OutputOption = Output.table,
) -> None:
    """Stop one task (its service starts a replacement)."""
    from opskit.address import locate
    from opskit.changes.stop_task import StopTaskChange

    ws = workspace(ctx)
    if cluster is None and service is not None:  # the service's cluster, wherever it lives
        found = locate(ws.config, lambda r: ws.accounts.client(env, "ecs", region=r), env, service)
        cluster = f"{found.region}:{found.cluster}"
    who = ws.accounts.whoami().user_name
    change = StopTaskChange(env, cluster or "", task, f"stopped with opskit by {who}")
    _run(ctx, change, plan_out, dry_run, confirm, access, output, True, None)


def draining(
    ctx: typer.Context,
    env: EnvOption,
    seconds: Annotated[int, typer.Option("--seconds", help="Deregistration delay to set.")],
    match: Annotated[
        list[str] | None,
        typer.Option("--match", help="Only target groups whose name matches (glob)."),
    ] = None,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    output: OutputOption = Output.table,
) -> None:
    """Set the draining timeout (deregistration delay) on every target group of an env."""
    from opskit.changes import validate
    from opskit.changes.draining import DrainingChange

    change = DrainingChange(env, validate.deregistration_delay(seconds), tuple(match or ()))
    _run(ctx, change, plan_out, dry_run, confirm, access, output, True, None)


def shift(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The [traffic.NAME] of environments.toml.")],
    to: Annotated[str, typer.Option("--to", help="The weighted set to move traffic to.")],
    steps: Annotated[
        str | None, typer.Option("--steps", help="Ramp in percent, e.g. 1,5,25,50,100.")
    ] = None,
    pause: Annotated[
        float | None, typer.Option("--pause", help="Seconds between steps (health gate).")
    ] = None,
    max_error_rate: Annotated[
        float, typer.Option("--max-error-rate", help="Highest 5xx share the gate accepts.")
    ] = 0.05,
    plan_out: PlanOut = None,
    dry_run: DryRun = False,
    confirm: Confirm = None,
    access: Access = "deploy",
    output: OutputOption = Output.table,
) -> None:
    """Move weighted DNS traffic to another environment as a ramp behind a health gate."""
    from opskit.changes import validate
    from opskit.changes.traffic import TrafficShiftChange

    ramp = validate.steps(steps)
    rate = validate.error_rate(max_error_rate)
    change = TrafficShiftChange(name, to, ramp, validate.pause(pause), rate)
    _run(ctx, change, plan_out, dry_run, confirm, access, output, True, None)


def apply(
    ctx: typer.Context,
    plan_file: Annotated[Path, typer.Argument(help="A plan saved with --plan-out.")],
    no_wait: NoWait = False,
    timeout: Timeout = None,
    confirm: Confirm = None,
    access: Annotated[
        str | None, typer.Option("--access", help="Access level (default: the plan's).")
    ] = None,
    override_freeze: OverrideFreeze = False,
    reason: Reason = None,
    output: OutputOption = Output.table,
) -> None:
    """Apply a saved plan exactly as reviewed: its signature checked, its intent planned
    again and guarded; refused if it was edited, reaches outside its environment, or the
    estate changed since."""
    from opskit.changes import Plan, validate
    from opskit.changes.saved import plan_signers

    validate.timeout(timeout)
    ws = workspace(ctx)
    plan = Plan.load(plan_file, plan_signers(ws.config, ws.state_dir, ws.accounts))
    engine = _engine(ctx, access)
    _show_plan(plan, output)
    override = _override(override_freeze, reason)
    if len(plan.resources) > 1 and plan.change in ("deploy", "promote"):
        # As when planned and applied at once: one service at a time, all or nothing.
        ask = _ask if sys.stdin.isatty() else None
        confirmed = engine.check_saved(plan, confirm=confirm, ask=ask, override_freeze=override)
        _apply_in_order(engine, plan, confirmed, output, not no_wait, timeout, override)
        return
    _apply(engine, plan, confirm, output, not no_wait, timeout, saved=True, override=override)


def _engine(ctx: typer.Context, access: str | None) -> Engine:
    """The engine for this command: journal, locks, identity, Datadog notifier."""
    from opskit.audit import origin_from_environ
    from opskit.changes import Engine, validate

    ws = workspace(ctx)
    validate.access(access, ws.config.access_levels())
    return Engine.from_workspace(
        ws,
        origin=origin_from_environ("cli"),
        access=access,
        progress=progress,
        notifiers=ws.notifiers(progress),
    )


def _run(
    ctx: typer.Context,
    change: Change,
    plan_out: Path | None,
    dry_run: bool,
    confirm: str | None,
    access: str,
    output: Output,
    wait: bool,
    timeout: float | None,
    override: str | None = None,
) -> None:
    from opskit.changes import validate

    validate.timeout(timeout)
    engine = _engine(ctx, access)
    plan = engine.plan(change)
    if plan_out is not None:
        from opskit.changes.saved import plan_signers

        ws = workspace(ctx)
        plan.save(plan_out, plan_signers(ws.config, ws.state_dir, ws.accounts)[0])
        progress(f"plan {plan.id} saved to {plan_out}; apply it with `opskit apply {plan_out}`")
    if plan_out is not None or dry_run:
        if output is Output.json:
            print_json({"plan": plan.to_json(), "result": None})
        else:
            _show_plan(plan, output)
        return
    _show_plan(plan, output)
    if len(plan.resources) > 1 and plan.change in ("deploy", "promote"):
        _apply_in_order(engine, plan, confirm, output, wait, timeout, override)
        return
    _apply(engine, plan, confirm, output, wait, timeout, override=override)


def _show_plan(plan: Plan, output: Output) -> None:
    if output is Output.json:
        return
    progress(f"plan {plan.id}: {plan.summary}")
    for note in plan.notes:
        progress(f"  note: {note}")
    rows = [d.to_json() for d in plan.diffs]
    emit(rows, output, columns=["resource", "field", "before", "after"])


def _ask(plan: Plan) -> str:
    return str(
        typer.prompt(
            f"{plan.env} is protected. Type '{plan.env}' to {plan.summary}", err=True, default=""
        )
    )


def _apply(
    engine: Any,
    plan: Plan,
    confirm: str | None,
    output: Output,
    wait: bool,
    timeout: float | None,
    *,
    saved: bool = False,
    override: str | None = None,
) -> None:
    from opskit.changes import ChangeNotApplied

    ask = _ask if sys.stdin.isatty() else None
    run = engine.apply_saved if saved else engine.apply
    try:
        result = run(
            plan, confirm=confirm, ask=ask, wait=wait, timeout=timeout, override_freeze=override
        )
    except ChangeNotApplied as failed:
        _show_result(plan, failed.result, output)
        raise
    _show_result(plan, result, output)


def _apply_in_order(
    engine: Engine,
    plan: Plan,
    confirm: str | None,
    output: Output,
    wait: bool,
    timeout: float | None,
    override: str | None,
) -> None:
    """Several services, one at a time, all or nothing (``opskit.changes.in_order``)."""
    from opskit.changes import ChangeNotApplied
    from opskit.changes.in_order import apply_in_order, split

    ask = _ask if sys.stdin.isatty() else None
    try:
        results = apply_in_order(
            engine,
            split(plan),
            confirm=confirm,
            ask=ask,
            wait=wait,
            timeout=timeout,
            override_freeze=override,
        )
    except ChangeNotApplied as failed:
        _show_result(plan, failed.result, output)
        raise
    if output is Output.json:
        print_json({"plan": plan.to_json(), "results": [r.to_json() for r in results]})
        return
    for result in results:
        print(f"{result.outcome}: {result.detail}")


def _show_result(plan: Plan, result: Result, output: Output) -> None:
    if output is Output.json:
        print_json({"plan": plan.to_json(), "result": result.to_json()})
    else:
        print(f"{result.outcome}: {result.detail}")
