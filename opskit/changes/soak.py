"""Soak: has the source environment proved what it runs, long enough, without trouble?

A service has soaked when, for the configured ``[promotion] soak_minutes`` (AWS time: the
workspace clock's factor shortens it in the sandbox) up to now:

- it is settled now (``opskit.changes.settled``: the one definition of steady);
- its PRIMARY deployment has not changed since the soak began (``updatedAt``: ECS moves it
  while a rollout or a count change is under way) and no deployment of it is FAILED;
- none of its service events since the soak began says a task could not start or be placed;
- none of its managed Datadog monitors is in ``Alert``, nor triggered since the soak began
  (``last_triggered_ts`` of the monitor search).

``check`` returns the evidence (one line each, for the plan's notes) and the conditions
that failed (one line each, for the refusal).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opskit.changes.protocol import ChangeContext
from opskit.changes.settled import primary_of, short_td
from opskit.changes.targets import ServiceRef
from opskit.changes.waiting import read_settled
from opskit.errors import OpskitError

TROUBLE_WORDS = ("unable to", "failed to")  # a task could not be placed or started


@dataclass
class Soak:
    """What the source service proves: evidence lines, and what failed (empty: soaked)."""

    evidence: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    return None


def _minutes(seconds: float, factor: float) -> str:
    return f"{seconds * factor / 60:.0f} min"


def check(
    ctx: ChangeContext,
    ref: ServiceRef,
    service: Mapping[str, Any],
    minutes: int,
    now: dt.datetime | None = None,
) -> Soak:
    """The soak evidence of one described source service (reads tasks, targets, monitors)."""
    soak = Soak()
    now = now or dt.datetime.now(dt.UTC)
    needed = dt.timedelta(seconds=minutes * 60 / ctx.time_factor)
    start = now - needed
    name = f"{ref.env} {ref.service}"
    steady = read_settled(ctx, ref.env, ref.cluster, service)
    if steady.done:
        soak.evidence.append(f"soak {name}: settled now ({steady.line})")
    else:
        soak.failed.append(f"{name} is not steady now ({steady.line})")
    primary = primary_of(service)
    since = _when(primary.get("updatedAt")) if primary else None
    if since is None:
        soak.failed.append(f"{name} has no PRIMARY deployment to date its soak from")
    else:
        age = (now - since).total_seconds()
        td = short_td(str(primary.get("taskDefinition", ""))) if primary else ""
        line = (
            f"{name} steady on {td} since {since.isoformat(timespec='seconds')} "
            f"({_minutes(age, ctx.time_factor)}; soak needs {minutes} min)"
        )
        if since > start:
            soak.failed.append(f"not soaked: {line}")
        else:
            soak.evidence.append(f"soak {line}")
    for deployment in service.get("deployments", []):
        if deployment.get("rolloutState") == "FAILED":
            why = deployment.get("rolloutStateReason") or "rollout failed"
            soak.failed.append(f"{name} has a FAILED deployment {deployment.get('id')}: {why}")
    troubles = [
        str(e.get("message", ""))
        for e in service.get("events", [])
        if (_when(e.get("createdAt")) or now) >= start
        and any(w in str(e.get("message", "")) for w in TROUBLE_WORDS)
    ]
    if troubles:
        more = f" (and {len(troubles) - 1} more)" if len(troubles) > 1 else ""
        soak.failed.append(f"{name} reported trouble during the soak: {troubles[0]}{more}")
    _monitors(ctx, ref, start, soak)
    return soak


def _monitors(ctx: ChangeContext, ref: ServiceRef, start: dt.datetime, soak: Soak) -> None:
    name = f"{ref.env} {ref.service}"
    if not ctx.config.datadog.enabled:
        soak.evidence.append(f"soak {name}: Datadog not enabled, no monitors consulted")
        return
    from opskit.datadog import monitor_api
    from opskit.datadog.client import DatadogClient

    try:
        client = DatadogClient.from_settings(ctx.config.datadog)
        monitors = monitor_api.service_monitors(client, ref.env, ref.service)
    except OpskitError as error:
        soak.failed.append(f"{name}: the monitors could not be read ({error})")
        return
    if not monitors:
        soak.evidence.append(
            f"soak {name}: no managed monitors (`opskit monitors apply --env {ref.env}`)"
        )
        return
    alerting = [m for m in monitors if m.get("status") == "Alert"]
    for monitor in alerting:
        soak.failed.append(
            f"{name}: monitor '{monitor.get('name')}' ({monitor.get('id')}) is in Alert"
        )
    for monitor in monitors:
        fired = monitor.get("last_triggered_ts")
        if monitor in alerting or not fired:
            continue
        when = dt.datetime.fromtimestamp(int(fired), dt.UTC)
        if when >= start:
            soak.failed.append(
                f"{name}: monitor '{monitor.get('name')}' ({monitor.get('id')}) alerted at "
                f"{when.isoformat(timespec='seconds')}, during the soak"
            )
    if not soak.failed:
        soak.evidence.append(f"soak {name}: {len(monitors)} monitors, none alerted in the soak")
