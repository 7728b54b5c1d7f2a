"""The cost note of a plan that adds or removes capacity: what it does to the monthly bill.

A reviewer approving ``scale api 6 -> 8`` should see the money: tasks added × the task
size (its task definition's cpu and memory) × the environment's effective rates per
vCPU-hour and GB-hour from the last complete month's bill. The rates come from a
``CapacityRates`` the composition root hands in (``changes`` never imports ``costs``).
The note is an estimate stated as such; when no rate can be had it says why, and the plan
goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opskit.aws import ecs as aws_ecs
from opskit.changes.plan import Plan
from opskit.changes.protocol import ChangeContext
from opskit.changes.targets import ServiceRef
from opskit.context import CapacityRates
from opskit.errors import OpskitError

HOURS_PER_MONTH = 730  # AWS's pricing month


def task_size(td: Any) -> tuple[float, float]:
    """(vCPU, GB) of one task: the task-level size, else the containers' sum."""
    cpu = float(td.get("cpu") or sum(float(c.get("cpu") or 0) for c in td["containerDefinitions"]))
    memory = float(
        td.get("memory")
        or sum(
            float(c.get("memory") or c.get("memoryReservation") or 0)
            for c in td["containerDefinitions"]
        )
    )
    return cpu / 1024, memory / 1024


def capacity_notes(ctx: ChangeContext, plan: Plan, rates: CapacityRates | None) -> list[str]:
    """One note per service whose desired count the plan changes."""
    notes: list[str] = []
    if rates is None:
        return notes
    for diff in plan.diffs:
        if diff.field != "desiredCount" or diff.before == diff.after:
            continue
        ref = ServiceRef.from_resource(diff.resource)
        added = int(diff.after) - int(diff.before)
        try:
            service = aws_ecs.describe_service(ctx.reader(ref.env, "ecs"), ref.cluster, ref.service)
            td, _ = aws_ecs.describe_task_definition(
                ctx.reader(ref.env, "ecs"), service["taskDefinition"]
            )
        except OpskitError as error:
            notes.append(f"cost delta of {ref.service} unknown: {error}")
            continue
        notes.append(_note(ref.service, added, task_size(td), rates.rates(plan.env)))
    return notes


def _note(
    service: str,
    added: int,
    size: tuple[float, float],
    answer: tuple[float, float, str] | str,
) -> str:
    vcpu, gb = size
    shape = f"{added:+d} task(s) × {vcpu:g} vCPU/{gb:g} GB"
    if isinstance(answer, str):
        return f"cost delta of {service} unknown ({shape}): {answer}"
    per_vcpu, per_gb, period = answer
    monthly = added * (vcpu * per_vcpu + gb * per_gb) * HOURS_PER_MONTH
    sign = "+" if monthly >= 0 else "-"
    rate = f"${per_vcpu:.5f}/vCPU-h, ${per_gb:.6f}/GB-h"
    return (
        f"{service}: estimated {sign}${abs(monthly):,.2f}/month"
        f" ({shape} × {HOURS_PER_MONTH} h × the environment's rates from {period}: {rate})"
    )


def with_cost_notes(ctx: ChangeContext, plan: Plan, rates: CapacityRates | None) -> Plan:
    """``plan`` with its capacity changes' cost notes added."""
    import dataclasses

    notes: Sequence[str] = capacity_notes(ctx, plan, rates)
    return dataclasses.replace(plan, notes=(*plan.notes, *notes)) if notes else plan
