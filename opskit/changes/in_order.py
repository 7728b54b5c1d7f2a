"""All or nothing across services: a change over several services, one service at a time.

``apply_in_order(engine, plans)`` takes one plan per service (``split`` makes them from a
multi-service deploy or promote plan), guards them all first (the blast radius counts the
whole group), locks every service, then for each in turn journals its intent, applies,
verifies and bakes it. When service k fails, it has already been rolled back by its own
verify (or bake); services k-1 … 1 are then put back on the revision each ran before, in
reverse order, each journaled as it happens (``rolled_back``, naming the service that
failed). Every service's attempt has its intent and one outcome: 3 services, 6 records.
On success the outcomes (``applied``) are journaled once all have settled and baked.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opskit.audit import utc_now
from opskit.changes.attempts import attempt_id
from opskit.changes.bake import bake
from opskit.changes.guard import Confirm, guard
from opskit.changes.interrupt import interruptible
from opskit.changes.plan import Plan, stale_diffs
from opskit.changes.protocol import Applied, Result
from opskit.changes.rollout import _restore
from opskit.changes.targets import ServiceRef
from opskit.changes.waiting import short_td, wait_settled
from opskit.errors import Interrupted, OpskitError, RefusedError, UsageError

if TYPE_CHECKING:
    from opskit.changes.engine import Engine
    from opskit.changes.protocol import ChangeContext


def split(plan: Plan) -> list[Plan]:
    """One plan per ECS service of a deploy or promote plan (the same id, suffixed)."""
    resources = plan.resources
    if len(resources) <= 1:
        return [plan]
    out = []
    for index, resource in enumerate(resources, 1):
        service = ServiceRef.from_resource(resource).service
        diffs = tuple(d for d in plan.diffs if d.resource == resource)
        params = {**plan.params, "services": [_named(plan, service)]}
        notes = tuple(n for n in plan.notes if n.startswith(f"{service}:")) or plan.notes
        out.append(
            dataclasses.replace(
                plan,
                id=f"{plan.id}{index}",
                summary=f"{plan.summary} [{index}/{len(resources)}: {service}]",
                diffs=diffs,
                params=params,
                notes=notes,
            )
        )
    return out


def _named(plan: Plan, service: str) -> str:
    for name in plan.params.get("services", []):
        if str(name).rsplit("/", 1)[-1] == service:
            return str(name)
    return service


def apply_in_order(
    engine: Engine,
    plans: Sequence[Plan],
    *,
    confirm: str | None = None,
    ask: Confirm | None = None,
    wait: bool = True,
    timeout: float | None = None,
    override_freeze: str | None = None,
) -> list[Result]:
    """Apply ``plans`` (one service each, one environment) all or nothing; see the module.

    Raises RefusedError (journaled, nothing touched) or ChangeNotApplied (every service
    back where it was, or ``failed`` where even that did not settle)."""
    from opskit.changes.engine import ChangeNotApplied
    from opskit.changes.registry import change_for

    plans = [p for p in plans if not p.empty]
    if not plans:
        return [Result("applied", "nothing to change")]
    if len({p.env for p in plans}) != 1:
        raise UsageError("an all-or-nothing change acts in one environment")
    access = engine.access if engine.access is not None else plans[0].access
    attempts = [attempt_id(p.id) for p in plans]
    count = len(plans)
    guarded: list[Plan] = []
    for index, plan in enumerate(plans):
        try:
            note = guard(
                plan,
                engine.config,
                access=access,
                confirm=confirm,
                ask=ask if index == 0 else None,
                override_freeze=override_freeze,
                services=count,
            )
        except RefusedError as refusal:
            engine._finish(plan, Result("refused", str(refusal)), attempt=attempts[index])
            raise
        if index == 0 and confirm is None and ask is not None:
            confirm = plan.env  # the name was typed once, for the whole change
        guarded.append(dataclasses.replace(plan, notes=(*plan.notes, note)) if note else plan)
    role = engine.config.role_arn(guarded[0].env, access)
    ctx = engine.context(wait=wait, timeout=timeout)
    resources = sorted({r for p in guarded for r in p.resources})
    label = f"{guarded[0].change} {guarded[0].id} (+{count - 1})"
    done: list[tuple[Plan, str, Applied, Result]] = []
    with interruptible(), engine.locks.hold(resources, engine.actor.user, label):
        for index, plan in enumerate(guarded):
            attempt, began, clock = attempts[index], time.time(), time.monotonic()
            engine.journal.append(engine._record(plan, role, attempt=attempt))
            try:
                result, applied = _one(ctx, plan, change_for(plan), began)
            except KeyboardInterrupt:
                why = "interrupted; nothing rolled back"
                for p, a in [(plan, attempt), *((d[0], d[1]) for d in done)]:
                    engine._finish(p, Result("interrupted", why), role, a)
                raise Interrupted(f"{plan.change} on {plan.env} {why}") from None
            except Exception as error:
                detail = str(error) if isinstance(error, OpskitError) else repr(error)
                refused = isinstance(error, RefusedError)
                result = Result("refused" if refused else "failed", detail)
                applied = Applied({})
            result = dataclasses.replace(
                result, timings={**result.timings, "total_s": round(time.monotonic() - clock, 3)}
            )
            if result.ok:
                done.append((plan, attempt, applied, result))
                continue
            engine._finish(plan, result, role, attempt)
            failed = _service(plan)
            back = _unwind(engine, ctx, done, role, f"{failed} failed ({result.detail})")
            detail = (
                f"{plan.change} on {plan.env} stopped at {failed} ({index + 1} of {count}): "
                f"{result.detail}; {back}"
            )
            whole = Result("rolled_back", detail, {"failed_at": failed})
            if back.startswith("some did not settle"):
                whole = dataclasses.replace(whole, outcome="failed")
            raise ChangeNotApplied(whole)
        results = []
        for plan, attempt, _, result in done:
            engine._finish(plan, result, role, attempt)
            results.append(result)
    return results


def _one(ctx: ChangeContext, plan: Plan, change: Any, began: float) -> tuple[Result, Applied]:
    stale = stale_diffs(plan, change.live(ctx, plan))
    if stale:
        raise RefusedError(f"stale plan {plan.id}: {stale[0]}; plan again")
    applied: Applied = change.apply(ctx, plan)
    result: Result = change.verify(ctx, plan, applied)
    return bake(ctx, plan, applied, result, since=began), applied


def _service(plan: Plan) -> str:
    refs = [ServiceRef.from_resource(r) for r in plan.resources]
    return ", ".join(r.label for r in refs) or plan.summary


def _unwind(
    engine: Engine,
    ctx: ChangeContext,
    done: list[tuple[Plan, str, Applied, Result]],
    role: str,
    why: str,
) -> str:
    """Put every applied service back, last first, journaling each; a summary line."""
    if not done:
        return "no other service had been changed"
    lines, unsettled = [], False
    for plan, attempt, applied, _ in reversed(done):
        services = [s for s in applied.data.get("services", []) if s.get("previous")]
        ctx.progress(f"{_service(plan)}: rolling back ({why})")
        started = utc_now()
        back = [
            _restore(ctx, ServiceRef.from_resource(s["resource"]), s["previous"]) for s in services
        ]
        not_back, _ = wait_settled(ctx, back) if back else ({}, {})
        olds = ", ".join(short_td(s["previous"]) for s in services)
        data = {**applied.data, "rolled_back_because": why}
        if not services:
            result = Result("failed", f"applied, then {why}; it cannot be rolled back", data)
            unsettled = True
        elif not_back:
            left = "; ".join(f"{r.label}: {m}" for r, m in not_back.items())
            result = Result(
                "failed", f"applied, then {why}; rollback did not settle ({left})", data
            )
            unsettled = True
        else:
            result = Result("rolled_back", f"applied, then {why}; rolled back to {olds}", data)
        result = dataclasses.replace(result, timings={"rollback_started_at": started})
        engine._finish(plan, result, role, attempt)
        lines.append(f"{_service(plan)} -> {olds or 'unchanged'}")
    state = "some did not settle" if unsettled else "rolled back"
    return f"{state}: " + ", ".join(lines)


__all__ = ["apply_in_order", "split"]
