"""Lay generated line items out as CUR 2.0 parquet columns (65 of them, with MAP columns).

``Rows`` holds what varies per line (amounts, commitments, flags) as numpy arrays beside
the catalog index of the resource each line belongs to; ``to_table`` takes every
descriptive string from the catalog by that index, so a ten-million-line month costs a few
vectorised ``take``s rather than Python loops.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.billing.spec import DATADOG

if TYPE_CHECKING:
    from sandbox.billing.catalog import Catalog
    from sandbox.billing.spec import BillSpec

PRODUCT_NAMES = {
    "AmazonEC2": "Amazon Elastic Compute Cloud",
    "AmazonECS": "Amazon Elastic Container Service",
    "AWSELB": "Elastic Load Balancing",
    "AmazonRoute53": "Amazon Route 53",
    "AmazonS3": "Amazon Simple Storage Service",
    "AmazonCloudWatch": "AmazonCloudWatch",
    "AWSDataTransfer": "AWS Data Transfer",
    "ComputeSavingsPlans": "Savings Plans for AWS Compute usage",
    "AWSSupportBusiness": "AWS Support (Business)",
    DATADOG[0]: DATADOG[1],
}
LINE_TYPES = (
    "Usage", "SavingsPlanCoveredUsage", "SavingsPlanNegation", "SavingsPlanRecurringFee",
    "SavingsPlanUpfrontFee", "DiscountedUsage", "RIFee", "Fee", "Credit", "Refund", "Tax",
)  # fmt: skip
LT = {name: i for i, name in enumerate(LINE_TYPES)}
_MONEY = ("units", "unblended", "net_unblended", "sp_eff", "sp_total", "sp_used", "ri_eff",
          "ri_unused_upfront", "ri_unused_recurring")  # fmt: skip
_NULLABLE = frozenset(n for n in _MONEY if n.startswith(("sp_", "ri_")))
_FIELDS = ("res", "day", "part", "line_type", "ri_arn", "tagged", *_MONEY)


class Rows:
    """Per-line values of a block of line items (every array has ``n`` entries)."""

    res: Any  # catalog index of the resource (-1: none)
    day: Any
    part: Any
    line_type: Any  # index into LINE_TYPES
    ri_arn: Any
    tagged: Any
    units: Any
    unblended: Any
    net_unblended: Any
    sp_eff: Any
    sp_total: Any
    sp_used: Any
    ri_eff: Any
    ri_unused_upfront: Any
    ri_unused_recurring: Any

    def __init__(self, n: int, res: Any = -1, day: Any = 1, units: Any = 0.0) -> None:
        self.n = n
        self.res = np.broadcast_to(np.asarray(res, dtype=np.int64), (n,)).copy()
        self.day = np.broadcast_to(np.asarray(day, dtype=np.int64), (n,)).copy()
        self.part = np.zeros(n, dtype=np.int64)  # which slice of the day (after ``split``)
        self.line_type = np.zeros(n, dtype=np.int64)
        self.ri_arn = np.zeros(n, dtype=bool)
        self.tagged = np.zeros(n, dtype=bool)
        for name in _MONEY:
            setattr(self, name, np.full(n, np.nan if name in _NULLABLE else 0.0))
        self.units = np.broadcast_to(np.asarray(units, dtype=np.float64), (n,)).copy()

    @classmethod
    def _of(cls, n: int, arrays: dict[str, Any]) -> Rows:
        rows = cls(0)
        rows.n = n
        for name, values in arrays.items():
            setattr(rows, name, values)
        return rows

    def take(self, index: Any) -> Rows:
        return Rows._of(len(index), {f: getattr(self, f)[index] for f in _FIELDS})

    @staticmethod
    def concat(blocks: list[Rows]) -> Rows:
        arrays = {f: np.concatenate([getattr(b, f) for b in blocks]) for f in _FIELDS}
        return Rows._of(sum(b.n for b in blocks), arrays)

    def split(self, parts: int, rng: Any) -> Rows:
        """Each line as ``parts`` lines for successive slices of its day (hourly at 24).

        Amounts are shared out unevenly (as real hours differ) but add up to the original.
        """
        out = self.take(np.repeat(np.arange(self.n), parts))
        out.part = np.tile(np.arange(parts), self.n)
        weights = rng.uniform(0.5, 1.5, size=(self.n, parts))
        weights = (weights / weights.sum(axis=1, keepdims=True)).ravel()
        for name in _MONEY:
            setattr(out, name, getattr(out, name) * weights)
        return out


def cat_hex(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:16].upper()


def _hex_ids(rng: Any, n: int) -> Any:
    """``n`` unique-looking 32-character hex ids, vectorised."""
    import pyarrow as pa

    raw = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64).astype(np.uint64)
    shifts = np.arange(60, -1, -4, dtype=np.uint64)
    nibbles = ((raw[:, :, None] >> shifts) & np.uint64(0xF)).astype(np.uint8).reshape(n, 32)
    chars = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles]
    return pa.array(chars.view("S32").ravel(), type=pa.binary()).cast(pa.string())


def _catalog_arrays(spec: BillSpec, cat: Catalog) -> dict[str, Any]:
    """Per-resource strings and maps (plus a trailing empty entry for untagged lines)."""
    if cat.layout:
        return cat.layout
    import pyarrow as pa

    names = {a.account_id: a.name for a in spec.accounts}
    rs = cat.resources
    market = [r.product == DATADOG[0] for r in rs]
    text = {
        "account": [r.account for r in rs],
        "account_name": [names.get(r.account, r.account) for r in rs],
        "product": [r.product for r in rs],
        "usage_type": [r.usage_type for r in rs],
        "operation": [r.operation for r in rs],
        "unit": [r.unit for r in rs],
        "instance_type": [r.instance_type for r in rs],
        "family": [r.family for r in rs],
        "resource_id": [r.resource_id for r in rs],
        "rate": [f"{r.rate:.10g}" for r in rs],
        "entity": ["AWS Marketplace" if m else "AWS" for m in market],
        "legal": ["Datadog, Inc." if m else "Amazon Web Services EMEA SARL" for m in market],
        "az": [f"{spec.region}a" if r.instance_type else "" for r in rs],
        "sku": [cat_hex(r.product + r.usage_type) for r in rs],
        "description": [f"${r.rate:.10g} per {r.unit} for {r.usage_type}" for r in rs],
    }
    out: dict[str, Any] = {k: pa.array([*v, ""], pa.string()) for k, v in text.items()}
    string_map = pa.map_(pa.string(), pa.string())
    tags = [
        [(f"user_{k}", v) for k, v in (("team", r.team), ("service", r.service)) if v] for r in rs
    ]
    out["tags"] = pa.array([*tags, []], string_map)
    product = [
        [
            ("product_name", PRODUCT_NAMES.get(r.product, r.product)),
            ("region", spec.region),
            ("servicecode", r.product),
            ("product_family", r.family),
            ("usagetype", r.usage_type),
            ("operation", r.operation),
            ("sku", cat_hex(r.product + r.usage_type)),
        ]
        for r in rs
    ]
    out["product_map"] = pa.array([*product, []], string_map)
    out["rates"] = np.array([r.rate for r in rs] + [0.0])
    cat.layout = out
    return out


def _const(value: str, n: int) -> Any:
    import pyarrow as pa

    indices = pa.array(np.zeros(n, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array([value])).cast(pa.string())


def _const_where(mask: Any, value: str) -> Any:
    import pyarrow as pa

    indices = pa.array(np.asarray(mask, dtype=np.int32))
    return pa.DictionaryArray.from_arrays(indices, pa.array(["", value])).cast(pa.string())


def to_table(
    spec: BillSpec, cat: Catalog, rows: Rows, period: str, days_in: int, parts: int = 1
) -> Any:
    """The CUR 2.0 table for one period's rows (each day in ``parts`` slices), by start."""
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = rows.take(np.lexsort((rows.part, rows.day)))
    n, lt = rows.n, rows.line_type
    cats = _catalog_arrays(spec, cat)
    res = np.where(rows.res < 0, len(cat.resources), rows.res)
    pick = pa.array(res)
    tag_pick = pa.array(np.where(rows.tagged, res, len(cat.resources)))

    def col(name: str, index: Any = pick) -> Any:
        return pc.take(cats[name], index)

    def num(values: Any) -> Any:
        return pa.array(values, pa.float64(), from_pandas=True)

    def ts(values: Any) -> Any:
        return pa.array(values, pa.timestamp("ms"))

    start = dt.datetime.fromisoformat(period + "-01")
    first = np.datetime64(start, "ms")
    slice_ms = 86_400_000 // parts
    usage_start = (
        first
        + (rows.day - 1).astype("timedelta64[D]")
        + (rows.part * slice_ms).astype("timedelta64[ms]")
    )
    usage_end = usage_start + np.timedelta64(slice_ms, "ms")
    next_month = np.datetime64((start + dt.timedelta(days=days_in)).replace(day=1), "ms")
    line_type = pc.take(pa.array(LINE_TYPES, pa.string()), pa.array(lt))
    is_ri = rows.ri_arn | (lt == LT["DiscountedUsage"])
    sp_types = [LT[t] for t in LINE_TYPES if t.startswith("SavingsPlan")]
    is_sp = np.isin(lt, sp_types)
    sp_arn = f"arn:aws:savingsplans::{spec.payer}:savingsplan/{cat_hex('sp')}".lower()
    ri_arn = f"arn:aws:ec2:{spec.region}:{spec.payer}:reserved-instances/{cat_hex('ri')}".lower()
    od = rows.units * cats["rates"][res]
    usage_like = np.isin(lt, [LT["Usage"], LT["SavingsPlanCoveredUsage"], LT["DiscountedUsage"]])
    slot = (rows.day - 1) * parts + rows.part  # one interval string per slice of the month
    starts = first + np.arange(days_in * parts) * np.timedelta64(slice_ms, "ms")
    text = np.datetime_as_string(starts.astype("datetime64[s]"), unit="s")
    ends = np.datetime_as_string(
        (starts + np.timedelta64(slice_ms, "ms")).astype("datetime64[s]"), unit="s"
    )
    interval = pa.array([f"{a}Z/{b}Z" for a, b in zip(text, ends, strict=True)], pa.string())
    described = pc.binary_join_element_wise(line_type, col("usage_type"), " ")
    description = pc.if_else(pa.array(lt == LT["Usage"]), col("description"), described)
    rng = np.random.default_rng([spec.seed, int(period.replace("-", ""))])
    zeros = pa.array(np.zeros(n, dtype=np.int64))
    ops_name = next(a.name for a in spec.accounts if a.kind == "ops")
    invoice = "" if period == spec.periods()[-1] else f"EUINIE{period.replace('-', '')}"
    fee_line = lt == LT["RIFee"]
    sp_fee_line = lt == LT["SavingsPlanRecurringFee"]
    data = {
        "bill_bill_type": _const("Anniversary", n),
        "bill_billing_entity": col("entity"),
        "bill_billing_period_end_date": ts(np.full(n, next_month)),
        "bill_billing_period_start_date": ts(np.full(n, first)),
        "bill_invoice_id": _const(invoice, n),
        "bill_invoicing_entity": _const("Amazon Web Services EMEA SARL", n),
        "bill_payer_account_id": _const(spec.payer, n),
        "bill_payer_account_name": _const(ops_name, n),
        "cost_category": pa.array([[]], pa.map_(pa.string(), pa.string())).take(zeros),
        "discount": pa.array([[]], pa.map_(pa.string(), pa.float64())).take(zeros),
        "discount_total_discount": num(rows.net_unblended - rows.unblended),
        "identity_line_item_id": _hex_ids(rng, n),
        "identity_time_interval": pc.take(interval, pa.array(slot)),
        "line_item_availability_zone": col("az"),
        "line_item_blended_cost": num(rows.unblended),
        "line_item_blended_rate": col("rate"),
        "line_item_currency_code": _const("USD", n),
        "line_item_legal_entity": col("legal"),
        "line_item_line_item_description": description,
        "line_item_line_item_type": line_type,
        "line_item_net_unblended_cost": num(rows.net_unblended),
        "line_item_net_unblended_rate": col("rate"),
        "line_item_normalization_factor": num(np.where(usage_like, 4.0, np.nan)),
        "line_item_normalized_usage_amount": num(np.where(usage_like, rows.units * 4, np.nan)),
        "line_item_operation": col("operation"),
        "line_item_product_code": col("product"),
        "line_item_resource_id": col("resource_id", tag_pick),
        "line_item_tax_type": _const_where(lt == LT["Tax"], "VAT"),
        "line_item_unblended_cost": num(rows.unblended),
        "line_item_unblended_rate": col("rate"),
        "line_item_usage_account_id": col("account"),
        "line_item_usage_account_name": col("account_name"),
        "line_item_usage_amount": num(rows.units),
        "line_item_usage_end_date": ts(usage_end),
        "line_item_usage_start_date": ts(usage_start),
        "line_item_usage_type": col("usage_type"),
        "pricing_currency": _const("USD", n),
        "pricing_public_on_demand_cost": num(np.where(usage_like, od, 0.0)),
        "pricing_public_on_demand_rate": col("rate"),
        "pricing_purchase_option": _const_where(is_ri | is_sp, "Partial Upfront"),
        "pricing_term": pa.array(
            np.where(is_ri, "Reserved", np.where(usage_like, "OnDemand", "")), pa.string()
        ),
        "pricing_unit": col("unit"),
        "product": col("product_map"),
        "product_instance_type": col("instance_type"),
        "product_product_family": col("family"),
        "product_region_code": _const(spec.region, n),
        "product_servicecode": col("product"),
        "product_sku": col("sku"),
        "product_usagetype": col("usage_type"),
        "reservation_amortized_upfront_fee_for_billing_period": num(
            np.where(fee_line, rows.unblended, np.nan)
        ),
        "reservation_effective_cost": num(rows.ri_eff),
        "reservation_net_effective_cost": num(rows.ri_eff),
        "reservation_net_unused_amortized_upfront_fee_for_billing_period": num(
            rows.ri_unused_upfront
        ),
        "reservation_net_unused_recurring_fee": num(rows.ri_unused_recurring),
        "reservation_recurring_fee_for_usage": num(rows.ri_eff / 2),
        "reservation_reservation_a_r_n": _const_where(is_ri, ri_arn),
        "reservation_unused_amortized_upfront_fee_for_billing_period": num(rows.ri_unused_upfront),
        "reservation_unused_recurring_fee": num(rows.ri_unused_recurring),
        "resource_tags": pc.take(cats["tags"], tag_pick),
        "savings_plan_net_savings_plan_effective_cost": num(rows.sp_eff),
        "savings_plan_recurring_commitment_for_billing_period": num(
            np.where(sp_fee_line, rows.unblended, np.nan)
        ),
        "savings_plan_savings_plan_a_r_n": _const_where(is_sp, sp_arn),
        "savings_plan_savings_plan_effective_cost": num(rows.sp_eff),
        "savings_plan_total_commitment_to_date": num(rows.sp_total),
        "savings_plan_used_commitment": num(rows.sp_used),
    }
    return pa.table(data)
