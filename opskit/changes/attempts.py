"""Every attempt on the record: attempt ids, and the record of a change that never got a plan.

A plan may be applied more than once (a saved plan applied twice: applied, then refused as
stale), so each ``Engine.apply`` is one *attempt* with its own id, ``PLAN_ID-XXXXXX``,
written on every record of that attempt next to the plan id (``change_id``); ``audit
log`` lists one entry per attempt. A change refused or denied before it could be planned
(AWS denied the read role, a runbook refused before its kernel started) is journaled
against a stub plan: no diffs, but who, where (env, account, region, role), what (the
change and its redacted parameters) and why, like any other record.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Mapping
from typing import Any

from opskit.changes.plan import Access, Plan
from opskit.config import Config


def attempt_id(plan_id: str) -> str:
    """A fresh id for one apply of ``plan_id``: the plan id and six random hex digits."""
    return f"{plan_id}-{secrets.token_hex(3)}"


def change_env(change: Any, config: Config) -> str | None:
    """The environment a change acts in (a traffic shift: the zone's), if it says."""
    env = getattr(change, "env", None)
    if isinstance(env, str):
        return env
    shift = config.traffic.get(str(getattr(change, "name", "")))
    return shift.zone_env if shift else None


def change_params(change: Any) -> dict[str, Any]:
    """A change's own parameters as JSON (the journal redacts secrets from them)."""
    if dataclasses.is_dataclass(change) and not isinstance(change, type):
        raw: Mapping[str, Any] = dataclasses.asdict(change)
    else:
        raw = {k: v for k, v in vars(change).items() if not k.startswith("_")}
    loaded: dict[str, Any] = json.loads(json.dumps(dict(raw), default=str))
    return loaded


def stub_plan(
    kind: str,
    summary: str,
    env: str,
    config: Config,
    access: Access,
    params: Mapping[str, Any],
) -> Plan:
    """A plan with no diffs, standing for a change that was stopped before planning."""
    where = config.environment(env)
    return Plan(
        change=kind,
        summary=summary,
        env=env,
        account_id=where.account_id,
        region=where.region,
        access=access,
        diffs=(),
        params=dict(params),
    )


def unplanned(change: Any, config: Config, why: str) -> Plan | None:
    """The stub plan of ``change`` stopped at planning (None when its env is unknown)."""
    env = change_env(change, config)
    if env is None or env not in config.env_names():
        return None
    kind = str(getattr(change, "kind", type(change).__name__))
    access: Access = getattr(change, "access", "deploy")
    return stub_plan(kind, f"{kind} in {env}: {why}", env, config, access, change_params(change))
