"""Change policy from environments.toml: freezes (and their admin override), required
promotion and the blast radius, checked by the guard before anything is locked.

- A freeze (``[changes] freeze``) refuses every change, unless an operator working at the
  ``admin`` access level overrides it with a reason (``--override-freeze --reason``); the
  reason is journaled with the plan (a note) on every record of the attempt.
- ``[changes.policy.ENV] require_promotion``: ``deploy`` is refused there; images arrive
  only through ``promote`` (rollback stays possible: it is the way back).
- ``max_services``: the services one change (or one all-or-nothing group) may touch.
"""

from __future__ import annotations

import datetime as dt
import math

from opskit.changes.plan import Plan
from opskit.config import Config
from opskit.errors import RefusedError

OVERRIDE_LEVEL = "admin"


def frozen(config: Config, today: dt.date) -> str | None:
    """The freeze in force today, as one line (None: no freeze)."""
    freeze = config.changes.freeze
    if freeze and freeze.from_ <= today <= freeze.until:
        return f"change freeze {freeze.from_} to {freeze.until} ({freeze.reason})"
    return None


def check_freeze(
    plan: Plan, config: Config, access: str, override: str | None, today: dt.date
) -> str | None:
    """Refuse a change in a freeze unless overridden by admin with a reason; return the
    override note to journal (None when no freeze applies)."""
    freeze = frozen(config, today)
    if freeze is None:
        return None
    where = f"{plan.change} on {plan.env} refused"
    if override is None:
        raise RefusedError(f"{where}: {freeze}; an admin may pass --override-freeze --reason TEXT")
    if access != OVERRIDE_LEVEL:
        raise RefusedError(
            f"{where}: {freeze}; only the {OVERRIDE_LEVEL} access level may override it "
            f"(you are working with {access})"
        )
    if not override.strip():
        raise RefusedError(f"{where}: {freeze}; --override-freeze needs a --reason")
    return f"freeze overridden by {access}: {override.strip()} ({freeze})"


def check_policy(plan: Plan, config: Config, services: int | None = None) -> None:
    """Refuse what ``[changes.policy.ENV]`` forbids (``services``: a group's count)."""
    policy = config.changes.policy.get(plan.env)
    if policy is None:
        return
    where = f"{plan.change} on {plan.env} refused"
    if policy.require_promotion and plan.change == "deploy":
        raise RefusedError(
            f"{where}: {plan.env} takes images only through promotion "
            f"([changes.policy.{plan.env}] require_promotion); "
            f"use `opskit promote SERVICE --from ENV --to {plan.env}`"
        )
    count = services if services is not None else len(touched(plan))
    if policy.max_services is not None and count > policy.max_services:
        raise RefusedError(
            f"{where}: it touches {count} services, the blast-radius limit of {plan.env} is "
            f"{policy.max_services} ([changes.policy.{plan.env}] max_services)"
        )


def touched(plan: Plan) -> set[str]:
    """The ECS services a plan changes (resource ids)."""
    return {r for r in plan.resources if "/ecs/service/" in r}


def max_percent(config: Config, env: str, desired: int) -> int | None:
    """The ``maximumPercent`` that keeps a rollout within ``max_replace_share`` of
    ``desired`` tasks at once (at least one task), or None when no limit is set."""
    policy = config.changes.policy.get(env)
    if policy is None or policy.max_replace_share is None or desired <= 0:
        return None
    at_once = max(1, math.floor(desired * policy.max_replace_share))
    return 100 + math.ceil(100 * at_once / desired)
