"""Amortized and net amortized cost per CUR line, written from AWS's CID rule, not opskit's.

The sandbox must not grade opskit's cost code with opskit's own rules, so this is an
independent rendering of the CID ``summary_view`` rule (field notes): SP-covered usage at
its effective cost, the SP recurring fee at its unused commitment, SP negation and upfront
fee at zero, RI-discounted usage at its effective cost, the RI fee at its unused parts, an
RI upfront fee at zero, every other line at its unblended cost. "Net" reads the ``net_``
column of each, falling back to the gross one when the bill has no net values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Present = Callable[[str], bool]


def cid_expression(metric: str, present: Present) -> Any:
    """A pyarrow expression: ``metric`` ("amortized" or "net") of each line."""
    import pyarrow as pa
    import pyarrow.compute as pc

    def col(name: str) -> Any:
        return pc.field(name) if present(name) else pc.scalar(pa.scalar(None, pa.float64()))

    def pick(gross: str, net: str) -> Any:
        if metric == "amortized":
            return col(gross)
        return pc.coalesce(col(net), col(gross))

    zero = pc.scalar(0.0)
    line_type = pc.field("line_item_line_item_type")
    arn = col("reservation_reservation_a_r_n") if present("reservation_reservation_a_r_n") else None
    has_arn = (
        pc.not_equal(pc.coalesce(pc.field("reservation_reservation_a_r_n"), pc.scalar("")), "")
        if arn is not None
        else pc.scalar(False)
    )
    unused_fee = pc.add(
        pick(
            "reservation_unused_amortized_upfront_fee_for_billing_period",
            "reservation_net_unused_amortized_upfront_fee_for_billing_period",
        ),
        pick("reservation_unused_recurring_fee", "reservation_net_unused_recurring_fee"),
    )
    cases = [
        (
            "SavingsPlanCoveredUsage",
            pick(
                "savings_plan_savings_plan_effective_cost",
                "savings_plan_net_savings_plan_effective_cost",
            ),
        ),
        (
            "SavingsPlanRecurringFee",
            pc.subtract(
                col("savings_plan_total_commitment_to_date"), col("savings_plan_used_commitment")
            ),
        ),
        ("SavingsPlanNegation", zero),
        ("SavingsPlanUpfrontFee", zero),
        ("DiscountedUsage", pick("reservation_effective_cost", "reservation_net_effective_cost")),
        ("RIFee", unused_fee),
    ]
    result = pick("line_item_unblended_cost", "line_item_net_unblended_cost")
    upfront = pc.and_kleene(pc.equal(line_type, pc.scalar("Fee")), has_arn)
    result = pc.if_else(upfront, zero, result)
    for name, value in cases:
        result = pc.if_else(pc.equal(line_type, pc.scalar(name)), value, result)
    return result
