"""The bake gate: after a change settles, its services' monitors watch it for a while.

For ``[promotion] bake_seconds`` (AWS time; the workspace clock's factor shortens it in the
sandbox) after deploy, promote, restart and rollback have settled, the gate polls the
services' managed Datadog monitors (monitor search: status, ``last_triggered_ts``) and
CloudWatch metric alarms on them (DescribeAlarms, state ALARM). A monitor that triggers
after the change began (or enters ``Alert`` during the bake) or an alarm that enters ALARM
during it fails the change: services that have a previous revision go back to it (the
rollback deploy uses), and the outcome names the monitor. 0 seconds: no gate. A traffic
shift's health gate asks ``alerted_since`` after every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opskit.aws import cloudwatch as aws_cloudwatch
from opskit.changes.plan import Plan
from opskit.changes.protocol import Applied, ChangeContext, Result
from opskit.changes.rollout import _restore
from opskit.changes.targets import ServiceRef
from opskit.changes.waiting import short_td, wait_settled
from opskit.errors import OpskitError

BAKED = ("deploy", "promote", "restart", "rollback")


def service_refs(plan: Plan) -> list[ServiceRef]:
    """The ECS services a plan changes."""
    return [ServiceRef.from_resource(r) for r in plan.resources if "/ecs/service/" in r]


def bake(ctx: ChangeContext, plan: Plan, applied: Applied, result: Result, since: float) -> Result:
    """``result`` after the bake: unchanged when nothing alerted, else rolled back/failed.

    ``since``: epoch seconds the change began (a monitor triggered after it counts)."""
    seconds = ctx.config.promotion.bake_seconds
    refs = service_refs(plan)
    if not seconds or not ctx.wait or not result.ok or plan.change not in BAKED or not refs:
        return result
    ctx.progress(f"baking {seconds} s: watching the monitors and alarms of {_names(refs)}")
    start_alarms = {ref: set(_alarms(ctx, ref)) for ref in refs}
    start_alerts = {
        ref: {m.get("id") for m in _monitors(ctx, ref) if m.get("status") == "Alert"}
        for ref in refs
    }
    deadline = ctx.monotonic() + seconds / ctx.time_factor
    watched = 0
    while True:
        for ref in refs:
            monitors = _monitors(ctx, ref)
            watched = max(watched, len(monitors))
            for monitor in monitors:
                fired = int(monitor.get("last_triggered_ts") or 0)
                alert = monitor.get("status") == "Alert"
                if alert and (fired >= int(since) or monitor.get("id") not in start_alerts[ref]):
                    what = f"monitor '{monitor.get('name')}' ({monitor.get('id')}) went to Alert"
                    return _roll_back(ctx, applied, result, f"{ref.label}: {what}", monitor)
            for alarm in _alarms(ctx, ref):
                if alarm not in start_alarms[ref]:
                    what = f"CloudWatch alarm '{alarm}' went to ALARM"
                    return _roll_back(
                        ctx, applied, result, f"{ref.label}: {what}", {"alarm": alarm}
                    )
        left = deadline - ctx.monotonic()
        if left <= 0:
            break
        ctx.sleep(min(ctx.poll_seconds * 4, left))
    data = {**result.data, "bake": {"seconds": seconds, "monitors": watched, "alerted": None}}
    detail = f"{result.detail}; baked {seconds} s, no monitor alerted ({watched} watched)"
    return Result("applied", detail, data, result.timings)


def alerted_since(ctx: ChangeContext, ref: ServiceRef, since: float) -> str | None:
    """The first managed monitor of ``ref`` in Alert that triggered at or after ``since``
    (epoch seconds), as one line; None when there is none (a traffic step's gate)."""
    for monitor in _monitors(ctx, ref):
        fired = int(monitor.get("last_triggered_ts") or 0)
        if monitor.get("status") == "Alert" and fired >= int(since):
            return f"monitor '{monitor.get('name')}' ({monitor.get('id')}) went to Alert"
    return None


def _names(refs: Sequence[ServiceRef]) -> str:
    return ", ".join(ref.label for ref in refs)


def _monitors(ctx: ChangeContext, ref: ServiceRef) -> list[dict[str, Any]]:
    if not ctx.config.datadog.enabled:
        return []
    from opskit.datadog import monitor_api
    from opskit.datadog.client import DatadogClient

    try:
        client = DatadogClient.from_settings(ctx.config.datadog)
        return monitor_api.service_monitors(client, ref.env, ref.service)
    except OpskitError as error:  # the change stands; the gate says what it could not see
        ctx.progress(f"warning: {ref.env} {ref.service} monitors not read ({error})")
        return []


def _alarms(ctx: ChangeContext, ref: ServiceRef) -> list[str]:
    try:
        return aws_cloudwatch.alarms_in_alarm(
            ctx.reader(ref.env, "cloudwatch", ref.where), ref.cluster, ref.service
        )
    except OpskitError as error:
        ctx.progress(f"warning: {ref.env} CloudWatch alarms not read ({error})")
        return []


def _roll_back(
    ctx: ChangeContext, applied: Applied, result: Result, why: str, alerted: dict[str, Any]
) -> Result:
    ctx.progress(f"bake gate: {why}; rolling back")
    services = [s for s in applied.data.get("services", []) if s.get("previous")]
    data = {**result.data, "bake": {"alerted": alerted, "why": why}}
    if not services:
        return Result("failed", f"bake gate: {why}; nothing to roll back to", data, result.timings)
    back = [_restore(ctx, ServiceRef.from_resource(s["resource"]), s["previous"]) for s in services]
    not_back, _ = wait_settled(ctx, back)
    if not_back:
        left = "; ".join(f"{ref.label}: {message}" for ref, message in not_back.items())
        return Result("failed", f"bake gate: {why}; rollback did not settle ({left})", data)
    olds = ", ".join(short_td(s["previous"]) for s in services)
    return Result("rolled_back", f"bake gate: {why}; rolled back to {olds}", data, result.timings)
