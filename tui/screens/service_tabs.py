"""Rows for the service screen's tabs, built from the model (pure functions).

Task-definition environment variables and secrets are shown by name only: values never
enter the model, so they cannot reach the screen.
"""

from __future__ import annotations

import datetime as dt

from rich.text import Text

from opskit.estate import EnvironmentState, ServiceState, TaskState
from tui.format import ago, short_id
from tui.records import record_text
from tui.widgets.estate_table import matches
from tui.widgets.keyed_table import Row

STATE_STYLE = {
    "RUNNING": "green",
    "HEALTHY": "green",
    "healthy": "green",
    "PENDING": "yellow",
    "PROVISIONING": "yellow",
    "initial": "yellow",
    "draining": "yellow",
    "STOPPED": "red",
    "UNHEALTHY": "bold red",
    "unhealthy": "bold red",
    "IN_PROGRESS": "cyan",
    "COMPLETED": "green",
    "FAILED": "bold red",
}


def styled(value: str) -> Text:
    return Text(value or "-", style=STATE_STYLE.get(value, ""))


def task_reason(task: TaskState) -> str:
    if not task.stopped_reason:
        return ""
    kind = f"[{task.stop_kind.value}] " if task.stop_kind.value else ""
    return kind + task.stopped_reason


def stopped_text(task: TaskState) -> str:
    """Why a task stopped, with its containers' exit codes first (``exit 137 · …``)."""
    reason = task_reason(task)
    codes = [str(c.exit_code) for c in task.containers if c.exit_code is not None]
    if task.last_status != "STOPPED" or not codes:
        return reason
    exits = f"exit {','.join(dict.fromkeys(codes))}"
    return f"{exits} · {reason}" if reason else exits


def task_rows(service: ServiceState, now: dt.datetime, needle: str = "") -> list[Row]:
    tasks = sorted(service.tasks, key=lambda t: (t.last_status == "STOPPED", t.id))
    return [
        (
            t.id,
            (
                short_id(t.id),
                styled(t.last_status),
                styled(t.health),
                ago(t.started_at, now),
                t.task_definition.rsplit("/", 1)[-1],
                short_id(t.container_instance) or "-",
                Text(stopped_text(t), style="red"),
            ),
        )
        for t in tasks
        if matches(needle, t.id, t.last_status, t.stopped_reason, t.container_instance)
    ]


def deployment_rows(service: ServiceState, now: dt.datetime) -> list[Row]:
    return [
        (
            d.id,
            (
                short_id(d.id.rsplit("/", 1)[-1], 12),
                d.status,
                d.task_definition,
                styled(d.rollout_state),
                str(d.desired),
                str(d.running),
                str(d.pending),
                str(d.failed_tasks),
                ago(d.updated_at, now),
            ),
        )
        for d in service.deployments
    ]


def event_rows(service: ServiceState, now: dt.datetime, needle: str = "") -> list[Row]:
    return [
        (f"{i}", (ago(e.at, now), e.message))
        for i, e in enumerate(service.events[:100])
        if matches(needle, e.message)
    ]


def target_rows(service: ServiceState) -> list[Row]:
    rows: list[Row] = []
    for group in service.target_groups:
        draining = "-" if group.deregistration_delay is None else f"{group.deregistration_delay}s"
        if group.targets is None:
            rows.append((group.arn, (group.name, "(reading…)", "", "", "", draining)))
            continue
        if not group.targets:
            rows.append((group.arn, (group.name, "(no targets)", "", "", "", draining)))
        for target in group.targets:
            rows.append(
                (
                    f"{group.arn}|{target.id}|{target.port}",
                    (
                        group.name,
                        target.id,
                        str(target.port),
                        styled(target.state),
                        target.description or target.reason,
                        draining,
                    ),
                )
            )
    return rows


def dns_rows(env: EnvironmentState, service: ServiceState) -> list[Row]:
    balancers = {arn for g in service.target_groups for arn in g.load_balancer_arns}
    names = {lb.name for lb in env.load_balancers if lb.arn in balancers}
    dns_names = {n.rstrip(".") for n in service.dns_names}
    records = [
        r
        for r in env.dns
        if (r.load_balancer and r.load_balancer in names) or r.name.rstrip(".") in dns_names
    ]
    return [
        (
            f"{r.name}|{r.type}|{r.set_identifier}",
            (
                r.name,
                r.type,
                record_text(r),
                r.set_identifier or "-",
                "-" if r.weight is None else str(r.weight),
            ),
        )
        for r in records
    ]


def definition_text(service: ServiceState) -> Text:
    definition = service.definition
    if definition is None:
        return Text("reading the task definition…", style="dim italic")
    text = Text()
    text.append(f"{definition.family}:{definition.revision}", style="bold")
    text.append(f"  cpu {definition.cpu or '-'} · memory {definition.memory or '-'}\n")
    for c in definition.containers:
        text.append(f"\n{c.name}", style="bold")
        text.append(f"  {c.image}\n")
        text.append(f"  cpu {c.cpu} · memory {c.memory or '-'} · essential {c.essential}")
        text.append(f" · ports {', '.join(map(str, c.ports)) or '-'}\n")
        text.append(f"  env: {', '.join(c.env_names) or '-'}\n")
        text.append(f"  secrets: {', '.join(c.secret_names) or '-'}", style="yellow")
        text.append("  (names only)\n", style="dim")
        if c.health_check:
            text.append(f"  health check: {' '.join(c.health_check)}\n")
        if c.log_group:
            text.append(f"  logs: {c.log_group} ({c.log_stream_prefix or '-'})\n", style="dim")
    return text
