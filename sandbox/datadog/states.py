"""Monitor states the way Datadog would evaluate them over the sandbox's estate.

A "running below desired" monitor (its query reads ``aws.ecs.service.running``) of a
service whose tasks exit on their own (a crash loop, a ``:broken`` image) goes to
``Alert`` at the exit and back to ``OK`` once no task has exited for the simulator's alert
window; ``last_triggered_ts`` and ``overall_state_modified`` follow, as in Datadog's API.
The exits come from the simulator over its own in-process channel
(``sandbox.simulator.health``). Other monitors are left as stored.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Mapping
from typing import Any

from sandbox.simulator import health

_SCOPE = re.compile(r"aws\.ecs\.service\.running\{([^}]*)\}")


def _iso(epoch: float) -> str:
    when = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def evaluated(monitor: Mapping[str, Any], now: float | None = None) -> dict[str, Any]:
    """``monitor`` with ``overall_state``, ``overall_state_modified`` and
    ``last_triggered_ts`` (sandbox-internal) as Datadog would show them now."""
    out = dict(monitor)
    match = _SCOPE.search(str(monitor.get("query", "")))
    if match is None:
        return out
    scope = dict(p.split(":", 1) for p in match[1].split(",") if ":" in p)
    key = (scope.get("aws_account", ""), scope.get("clustername", ""), scope.get("servicename", ""))
    exits = health.exits(*key)
    now = time.time() if now is None else now
    window = health.window_s()
    if exits and now - exits[-1] <= window:
        start = exits[-1]
        for earlier in reversed(exits[:-1]):
            if start - earlier > window:
                break
            start = earlier
        out.update(overall_state="Alert", overall_state_modified=_iso(start))
    else:
        since = exits[-1] + window if exits else None
        out["overall_state"] = "OK"
        if since is not None:
            out["overall_state_modified"] = _iso(since)
    out["last_triggered_ts"] = int(exits[-1]) if exits else None
    return out
