"""The line-item engine behind ``costdata``: resources -> daily CUR 2.0 rows, vectorised.

A ``Catalog`` lists every billable thing once (a host, a Fargate service, a bucket, a fee);
``period_table`` turns it into one month of line items with numpy, adds the lines that
depend on others (Savings Plan negation and fees, RI fees, tax, support, credits, refund)
and hands them to ``curlayout`` for the CUR 2.0 columns.
"""

from __future__ import annotations

import calendar
from typing import Any

import numpy as np

from sandbox.billing.catalog import (
    GROWTH,
    PRIVATE_DISCOUNT,
    RI_MONTH,
    RI_RATE,
    SP_RATE,
    SP_TERM_MONTHS,
    TAX_RATE,
    Catalog,
)
from sandbox.billing.curlayout import LT, Rows, to_table
from sandbox.billing.spec import DATADOG, BillSpec


def period_table(
    spec: BillSpec, cat: Catalog, month: int, period: str, scale: int, capacity: Any = None
) -> Any:
    """One billing period of line items as a pyarrow Table in the CUR 2.0 layout.

    ``capacity`` (``live.Capacity``) scales services' Fargate units to the tasks they ran."""
    year, mon = (int(p) for p in period.split("-"))
    days_in = calendar.monthrange(year, mon)[1]
    current = month == spec.months - 1
    days = np.arange(1, (spec.today.day if current else days_in) + 1)
    rng = np.random.default_rng([spec.seed, month])
    a = cat.arr
    idx = np.flatnonzero(cat.usage & (a["start"] <= month))
    daily, monthly = idx[~a["monthly"][idx]], idx[a["monthly"][idx]]
    res = np.concatenate([np.repeat(daily, len(days)), monthly])
    day = np.concatenate([np.tile(days, len(daily)), np.ones(len(monthly), dtype=np.int64)])
    wobble = np.clip(rng.normal(1, 0.06, len(res)), 0.7, 1.3)
    factor = np.where(a["variable"][res], GROWTH**month * wobble, 1.0)
    factor = factor * np.where(month >= cat.jump_month, a["jump"][res], 1.0)
    units = a["units"][res] * factor
    if capacity is not None:
        units = units * capacity.multipliers(cat, res, day, period)
    od_cost = units * a["rate"][res]
    mode = cat.mode[res]
    late = (month > RI_MONTH) | ((month == RI_MONTH) & (day >= 12))  # hosts moved 2 days late
    ri_live = (mode == "ri") & late
    sp_live = (mode == "sp") & (month < SP_TERM_MONTHS)  # after its term: on-demand usage
    rows = Rows(len(res), res=res, day=day, units=units)
    rows.line_type = np.where(
        sp_live,
        LT["SavingsPlanCoveredUsage"],
        np.where(ri_live, LT["DiscountedUsage"], LT["Usage"]),
    )
    rows.unblended = np.where(ri_live, 0.0, od_cost)  # an RI's cost is on its RIFee line
    discounted = (rows.line_type == LT["Usage"]) & cat.aws[res]
    rows.net_unblended = np.where(discounted, od_cost * (1 - PRIVATE_DISCOUNT), rows.unblended)
    rows.sp_eff = np.where(sp_live, od_cost * SP_RATE, np.nan)
    rows.ri_eff = np.where(ri_live, od_cost * RI_RATE, np.nan)
    rows.tagged[:] = True
    blocks = [rows, *_savings_plan(cat, rows, sp_live, days, days_in, month)]
    if month >= RI_MONTH:
        blocks += _ri_lines(cat, month, days_in)
    if not current:
        blocks += _month_end_lines(spec, cat, month, Rows.concat(blocks))
    everything = Rows.concat(blocks)
    if scale > 1:
        everything = everything.split(scale, rng)
    return to_table(spec, cat, everything, period, days_in, scale)


def _savings_plan(
    cat: Catalog, rows: Rows, live: Any, days: Any, days_in: int, month: int
) -> list[Rows]:
    """Negation of covered usage, the daily recurring fee, and the upfront fee once."""
    if not live.any():
        return []
    neg = rows.take(np.flatnonzero(live))
    neg.line_type[:] = LT["SavingsPlanNegation"]
    neg.unblended = -neg.unblended
    neg.net_unblended = neg.unblended.copy()
    neg.sp_eff[:] = np.nan
    used = np.bincount(rows.day[live], weights=rows.sp_eff[live], minlength=days_in + 1)[days]
    fee = Rows(len(days), res=cat.index[("sp_fee", "ComputeSavingsPlans")], day=days)
    fee.line_type[:] = LT["SavingsPlanRecurringFee"]
    fee.unblended[:] = fee.net_unblended[:] = cat.sp_commitment / 2  # half paid upfront
    fee.sp_total[:], fee.sp_used = cat.sp_commitment, used
    out = [neg, fee]
    if month == 0:
        upfront = Rows(1, res=fee.res[0])
        upfront.line_type[:] = LT["SavingsPlanUpfrontFee"]
        upfront.unblended[:] = upfront.net_unblended[:] = cat.sp_commitment / 2 * 365
        out.append(upfront)
    return out


def _ri_lines(cat: Catalog, month: int, days_in: int) -> list[Rows]:
    """The monthly RIFee (with the unused hours of the purchase month) and the upfront Fee."""
    res = cat.index[("ri_fee", "AmazonEC2")]
    half = cat.ri_hourly / 2  # partial upfront: half upfront, half recurring
    hours = (days_in - (9 if month == RI_MONTH else 0)) * 24
    unused = 48 if month == RI_MONTH else 0
    fee = Rows(1, res=res)
    fee.line_type[:] = LT["RIFee"]
    fee.unblended[:] = fee.net_unblended[:] = half * hours
    fee.ri_unused_upfront[:] = fee.ri_unused_recurring[:] = half * unused
    fee.ri_arn[:] = True
    if month != RI_MONTH:
        return [fee]
    upfront = Rows(1, res=res, day=np.array([10]))
    upfront.line_type[:] = LT["Fee"]
    upfront.unblended[:] = upfront.net_unblended[:] = half * 8760
    upfront.ri_arn[:] = True
    return [fee, upfront]


def _month_end_lines(spec: BillSpec, cat: Catalog, month: int, rows: Rows) -> list[Rows]:
    """Credits, the refund, support and tax: known once the month has closed."""
    accounts, products = cat.account[rows.res], cat.product[rows.res]
    names = {a.name: a.account_id for a in spec.accounts}
    out: list[Rows] = []

    def first(where: Any) -> int:
        hits = np.flatnonzero(where)
        return int(rows.res[hits[0]]) if len(hits) else -1

    def line(res: int, line_type: str, amount: float) -> None:
        one = Rows(1, res=res)
        one.line_type[:] = LT[line_type]
        one.unblended[:] = one.net_unblended[:] = round(amount, 6)
        out.append(one)

    def spent(where: Any) -> float:
        return float(rows.unblended[where].sum())

    dev, prod = names.get("dev"), names.get("prod")
    if dev and 1 <= month <= 6:  # promotional credits on dev's EC2
        where = (accounts == dev) & (products == "AmazonEC2")
        line(first(where), "Credit", -0.3 * spent(where))
    if prod and month == spec.months - 4:  # a refund for a load balancer incident
        where = (accounts == prod) & (products == "AWSELB")
        line(first(where), "Refund", -0.1 * spent(where))
    aws = spent(products != DATADOG[0])
    support = max(100.0, 0.1 * min(aws, 10_000) + 0.07 * max(aws - 10_000, 0))
    line(cat.index[("support", "AWSSupportBusiness")], "Fee", support)
    for account in sorted(set(accounts)):
        for product in sorted(set(products[accounts == account]) - {DATADOG[0]}):
            where = (accounts == account) & (products == product)
            if spent(where) > 0:
                line(first(where), "Tax", TAX_RATE * spent(where))
    return out
