"""The guard: the checks a plan must pass before anything is locked or touched.

In order: the global read-only mode, a change freeze (an admin may override it with a
reason), the environment's change policy (required promotion, blast radius), the access
level (the level the operator works at must reach the one the change needs), and for a
protected environment
the environment's name typed back (interactively, or ``--confirm ENV``). Each refusal is
one line saying why and what would let the change through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from opskit.changes.plan import ACCESS_RANK, Plan
from opskit.changes.policy import check_freeze, check_policy
from opskit.config import Config
from opskit.errors import RefusedError

Confirm = Callable[[Plan], str]


def guard(
    plan: Plan,
    config: Config,
    *,
    access: str,
    confirm: str | None = None,
    ask: Confirm | None = None,
    today: dt.date | None = None,
    override_freeze: str | None = None,
    services: int | None = None,
) -> str | None:
    """Raise RefusedError unless ``plan`` may be applied now by this operator.

    ``access`` is the level the operator chose (``--access``); ``confirm`` the env name
    given with ``--confirm``; ``ask`` prompts for the name when there is a terminal;
    ``override_freeze`` the reason an admin gives to change during a freeze; ``services``
    how many services the whole (all-or-nothing) change touches. Returns the freeze
    override line to journal, if one was used.
    """
    env = plan.env
    if config.changes.read_only:
        raise RefusedError(
            f"{plan.change} on {env} refused: opskit is read-only ([changes] read_only)"
        )
    today = today or dt.datetime.now(dt.UTC).date()
    overridden = check_freeze(plan, config, access, override_freeze, today)
    check_policy(plan, config, services)
    if ACCESS_RANK.get(access, -1) < ACCESS_RANK[plan.access]:
        raise RefusedError(
            f"{plan.change} on {env} refused: it needs {plan.access} access, "
            f"you are working with {access}"
        )
    if not config.environment(env).protected:
        return overridden
    if confirm is None and ask is not None:
        confirm = ask(plan).strip()
    if confirm is None:
        raise RefusedError(
            f"{env} is protected: {plan.change} refused without confirmation "
            f"(type the name, or pass --confirm {env})"
        )
    if confirm != env:
        raise RefusedError(f"{env} is protected: confirmation '{confirm}' is not '{env}'")
    return overridden
