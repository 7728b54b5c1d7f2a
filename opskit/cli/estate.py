"""`opskit ls | show | logs | drift`: read the estate across environments.

An environment that cannot be read (denied, throttled past retries, unreachable) does not
hide the others: the rows that could be read are printed, the failures go to stderr, and
the exit code is PARTIAL (6). boto3 loads only inside the commands.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opskit.cli.common import (
    EnvOption,
    EnvsOption,
    Output,
    OutputOption,
    emit,
    print_json,
    workspace,
)
from opskit.cli.estate_report import NEEDS, read_targets, report, warn_unknown
from opskit.errors import ExitCode, PartialResult

if TYPE_CHECKING:
    from opskit.estate.collect import Estate
    from opskit.estate.model import ServiceState


class What(StrEnum):
    clusters = "clusters"
    services = "services"
    tasks = "tasks"
    instances = "instances"
    targets = "targets"
    dns = "dns"
    schedules = "schedules"


WITH_UTILIZATION = {What.clusters, What.services, What.instances}


def register(app: typer.Typer) -> None:
    app.command("ls")(ls)
    app.command("show")(show)
    app.command("logs")(logs)
    app.command("drift")(drift)


def _estate(ctx: typer.Context, *, utilization: bool) -> Estate:
    from opskit.estate.collect import Estate

    return Estate(workspace(ctx).accounts, utilization=utilization)


def _partial(errors: dict[str, str]) -> None:
    if errors:
        raise PartialResult(
            "partial result: " + "; ".join(f"{env}: {error}" for env, error in errors.items())
        )


def ls(
    ctx: typer.Context,
    what: Annotated[What, typer.Argument(help="What to list.")] = What.services,
    env: EnvsOption = None,
    output: OutputOption = Output.table,
    behind: Annotated[
        bool,
        typer.Option("--behind", help="services: only those whose family has a newer revision."),
    ] = False,
) -> int:
    """List clusters, services, tasks, instances, targets, DNS records or schedules."""
    from opskit.cli import estate_rows as rows
    from opskit.errors import UsageError

    if behind and what is not What.services:
        raise UsageError(f"--behind filters services, not {what.value}")
    estate = _estate(ctx, utilization=what in WITH_UTILIZATION)
    snapshot = estate.snapshot(env)
    if what is What.targets:
        groups, snapshot = read_targets(estate, snapshot)
        data = rows.targets(snapshot, groups)
    elif what is What.services:
        data = rows.services(snapshot, behind=behind)
    else:
        data = getattr(rows, what.value)(snapshot)
    emit(data, output)
    for state in snapshot.environments:
        for warning in state.warnings:
            print(f"opskit: {state.name}: {warning}", file=sys.stderr)
    report(snapshot, NEEDS[what.value])
    return ExitCode.OK


def show(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service name.")],
    env: EnvOption,
    output: OutputOption = Output.table,
) -> int:
    """One service in detail: deployments, tasks, containers (CPU, memory), events, targets,
    DNS, utilization."""
    from opskit.cli.container_cells import read_containers
    from opskit.estate.model import to_data

    estate = _estate(ctx, utilization=True)
    state = read_containers(estate, env, estate.service(env, service))
    if output is Output.json:
        print_json({"env": env, **to_data(state)})
    else:
        _show_table(env, state)
    warn_unknown(env, state.unknown)
    return ExitCode.OK


def _region(arn: str) -> str:
    """``REGION, `` from a service ARN (which region holds it), '' when it names none."""
    parts = arn.split(":")
    return f"{parts[3]}, " if len(parts) > 3 and parts[3] else ""


def _show_table(env: str, s: ServiceState) -> None:
    from opskit.cli import estate_rows as rows
    from opskit.cli.container_cells import container_rows

    primary = next((d for d in s.deployments if d.status == "PRIMARY"), None)
    emit(
        {
            "service": f"{s.name} ({env}, {_region(s.arn)}cluster {s.cluster})",
            "status": s.status,
            "tasks": f"{s.running} running / {s.desired} desired / {s.pending} pending",
            "task definition": s.task_definition,
            "revision": s.revision_text,
            "images": list(s.images)
            or [c.image for c in (s.definition.containers if s.definition else ())],
            "health": rows.health(s.health),
            "rollout": primary.rollout_state if primary else None,
            "cpu": _known(s, "metrics", rows.percent(s.utilization.cpu)),
            "memory": _known(s, "metrics", rows.percent(s.utilization.memory)),
            "dns": _known(s, "route53", list(s.dns_names)),
        },
        Output.table,
    )
    _section(
        "Deployments",
        [
            {"id": d.id, "status": d.status, "task_definition": d.task_definition,
             "rollout": d.rollout_state, "desired": d.desired, "running": d.running,
             "pending": d.pending, "failed": d.failed_tasks, "updated": rows.when(d.updated_at)}
            for d in s.deployments
        ],
    )  # fmt: skip
    _section("Tasks", [rows.task_row(env, s.cluster, t) for t in s.tasks])
    _section("Containers", container_rows(s))
    if s.container_metrics is not None and s.container_metrics.note:
        print(f"\ncontainer metrics: {s.container_metrics.note}")
    _section(
        "Targets (unknown)" if "elbv2" in s.unknown else "Targets",
        [
            {"target_group": g.name, "draining": g.deregistration_delay, "target": t.id,
             "port": t.port, "state": t.state, "reason": t.reason or None}
            for g in s.target_groups
            for t in g.targets or ()
        ],
    )  # fmt: skip
    _section("Events", [{"at": rows.when(e.at), "message": e.message} for e in s.events[:20]])


def _known(s: ServiceState, family: str, value: Any) -> Any:
    return "unknown" if family in s.unknown else value


def _section(title: str, data: list[dict[str, Any]]) -> None:
    print()
    emit(data, Output.table, title=title)


def logs(
    ctx: typer.Context,
    service: Annotated[str, typer.Argument(help="Service name.")],
    env: EnvOption,
    task: Annotated[str | None, typer.Option("--task", help="Only this task (id).")] = None,
    container: Annotated[
        str | None, typer.Option("--container", help="Only this container (e.g. a sidecar).")
    ] = None,
    since: Annotated[str, typer.Option("--since", help="How far back: 90s, 10m, 2h, 1d.")] = "10m",
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new lines.")
    ] = False,
    grep: Annotated[str | None, typer.Option("--grep", help="Only lines with this text.")] = None,
    output: OutputOption = Output.table,
) -> int:
    """Container logs of a service (or one task), interleaved by time across tasks."""
    from opskit.estate import logs as service_logs

    window = service_logs.parse_since(since)
    estate = _estate(ctx, utilization=False)
    found = service_logs.sources(estate, env, service, task, container)
    lines = (
        service_logs.follow(estate, env, found, since=window, grep=grep)
        if follow
        else service_logs.read(estate, env, found, since=window, grep=grep)
    )
    for line in lines:
        if output is Output.json:
            record = {"at": line.at.isoformat(), "task": line.task,
                      "container": line.container, "message": line.message}  # fmt: skip
            print(json.dumps(record), flush=follow)
        else:
            stamp = line.at.strftime("%H:%M:%S.%f")[:-3]
            where = f"{line.task[:8]}/{line.container}" if len(found) > 1 else line.task[:8]
            print(f"{stamp} {where} {line.message}", flush=follow)
    return ExitCode.OK


def drift(
    ctx: typer.Context,
    env_a: Annotated[str, typer.Argument(help="One environment (e.g. stage).")],
    env_b: Annotated[str, typer.Argument(help="The other (e.g. prod).")],
    output: OutputOption = Output.table,
) -> int:
    """Every difference between two environments' services beyond size and count.

    Exits 9 when there is drift (0 when none, 6 when an environment could not be read), so
    CI can gate on it, as ``diff`` and ``terraform plan -detailed-exitcode`` do.
    """
    from opskit.estate.drift import drift as compare
    from opskit.estate.model import to_data

    result = compare(_estate(ctx, utilization=False), env_a, env_b)
    if output is Output.json:
        print_json(to_data(result))
    else:
        data = [{"service": d.service, "what": d.what, env_a: d.a, env_b: d.b}
                for d in result.differences]  # fmt: skip
        emit(data, output, columns=["service", "what", env_a, env_b])
        if not result.differences and not result.errors:
            print(f"no drift across {result.services} services", file=sys.stderr)
    _partial(result.errors)
    return ExitCode.DRIFT if result.differences else ExitCode.OK
