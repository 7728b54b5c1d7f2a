"""Amortized and net amortized cost of one CUR line, as AWS's own CID summary view does it.

The rules are data (a small expression tree per line type), rendered three ways from the
same source: plain Python for one row (tests, the sandbox), a pyarrow expression for the
CUR backend, and SQL text for Athena. So the three can never drift apart.

Amortized (CID ``summary_view``): SavingsPlanCoveredUsage -> SP effective cost;
SavingsPlanRecurringFee -> total commitment minus used commitment (the unused part);
SavingsPlanNegation, SavingsPlanUpfrontFee -> 0; DiscountedUsage -> RI effective cost;
RIFee -> unused amortized upfront + unused recurring fee; an RI upfront ``Fee`` (one
with a reservation ARN) -> 0; everything else -> unblended cost. Net amortized applies the
same rules to the ``net_`` columns, each falling back to its gross column when empty
(a CUR without negotiated discounts has no net values). The SP recurring fee has no net
column in CUR; its net equals its gross.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

LINE_TYPE = "line_item_line_item_type"
RESERVATION_ARN = "reservation_reservation_a_r_n"
UNBLENDED = "line_item_unblended_cost"


@dataclass(frozen=True)
class Col:
    name: str


@dataclass(frozen=True)
class Zero:
    pass


@dataclass(frozen=True)
class Plus:
    left: Term
    right: Term


@dataclass(frozen=True)
class Minus:
    left: Term
    right: Term


@dataclass(frozen=True)
class Either:
    """The first value that is not null (SQL ``coalesce``)."""

    first: Term
    second: Term


Term = Col | Zero | Plus | Minus | Either


@dataclass(frozen=True)
class Rule:
    """How one line type is amortized; ``reservation`` limits it to lines with an RI ARN."""

    line_type: str
    amortized: Term
    net: Term
    reservation: bool = False


def _net(net: str, gross: str) -> Term:
    return Either(Col(net), Col(gross))


RULES: tuple[Rule, ...] = (
    Rule(
        "SavingsPlanCoveredUsage",
        Col("savings_plan_savings_plan_effective_cost"),
        _net(
            "savings_plan_net_savings_plan_effective_cost",
            "savings_plan_savings_plan_effective_cost",
        ),
    ),
    Rule(
        "SavingsPlanRecurringFee",
        Minus(Col("savings_plan_total_commitment_to_date"), Col("savings_plan_used_commitment")),
        Minus(Col("savings_plan_total_commitment_to_date"), Col("savings_plan_used_commitment")),
    ),
    Rule("SavingsPlanNegation", Zero(), Zero()),
    Rule("SavingsPlanUpfrontFee", Zero(), Zero()),
    Rule(
        "DiscountedUsage",
        Col("reservation_effective_cost"),
        _net("reservation_net_effective_cost", "reservation_effective_cost"),
    ),
    Rule(
        "RIFee",
        Plus(
            Col("reservation_unused_amortized_upfront_fee_for_billing_period"),
            Col("reservation_unused_recurring_fee"),
        ),
        Plus(
            _net(
                "reservation_net_unused_amortized_upfront_fee_for_billing_period",
                "reservation_unused_amortized_upfront_fee_for_billing_period",
            ),
            _net("reservation_net_unused_recurring_fee", "reservation_unused_recurring_fee"),
        ),
    ),
    Rule("Fee", Zero(), Zero(), reservation=True),
)
DEFAULT = Rule("*", Col(UNBLENDED), _net("line_item_net_unblended_cost", UNBLENDED))


def columns(term: Term) -> set[str]:
    """The CUR columns a term reads."""
    if isinstance(term, Col):
        return {term.name}
    if isinstance(term, Zero):
        return set()
    if isinstance(term, Either):
        return columns(term.first) | columns(term.second)
    return columns(term.left) | columns(term.right)


def needed_columns() -> set[str]:
    """Every column amortization needs (besides the line type and the reservation ARN)."""
    found = {LINE_TYPE, RESERVATION_ARN}
    for rule in (*RULES, DEFAULT):
        found |= columns(rule.amortized) | columns(rule.net)
    return found


def rule_for(line_type: str, reservation_arn: str | None) -> Rule:
    for rule in RULES:
        if rule.line_type == line_type and (not rule.reservation or reservation_arn):
            return rule
    return DEFAULT


# --- plain Python, one row ------------------------------------------------------------


def evaluate(term: Term, row: Mapping[str, Any]) -> float | None:
    """The value of ``term`` for one row (``None`` is SQL NULL; missing columns are NULL)."""
    if isinstance(term, Col):
        value = row.get(term.name)
        if value is None or value != value:  # None and NaN are both SQL NULL
            return None
        return float(value)
    if isinstance(term, Zero):
        return 0.0
    if isinstance(term, Either):
        first = evaluate(term.first, row)
        return first if first is not None else evaluate(term.second, row)
    left, right = evaluate(term.left, row), evaluate(term.right, row)
    if left is None or right is None:
        return None
    return left + right if isinstance(term, Plus) else left - right


def amortized(row: Mapping[str, Any]) -> float | None:
    """Amortized cost of one CUR line (a mapping of column name to value)."""
    return evaluate(rule_for(str(row.get(LINE_TYPE)), row.get(RESERVATION_ARN)).amortized, row)


def net_amortized(row: Mapping[str, Any]) -> float | None:
    """Net amortized cost of one CUR line."""
    return evaluate(rule_for(str(row.get(LINE_TYPE)), row.get(RESERVATION_ARN)).net, row)


# --- SQL (Athena/Trino; DuckDB runs the same text) -------------------------------------


def _sql_term(term: Term, present: Callable[[str], bool]) -> str:
    if isinstance(term, Col):
        return term.name if present(term.name) else "CAST(NULL AS DOUBLE)"
    if isinstance(term, Zero):
        return "0.0"
    if isinstance(term, Either):
        return f"coalesce({_sql_term(term.first, present)}, {_sql_term(term.second, present)})"
    op = "+" if isinstance(term, Plus) else "-"
    return f"({_sql_term(term.left, present)} {op} {_sql_term(term.right, present)})"


def sql_case(metric: str, present: Callable[[str], bool] = lambda _: True) -> str:
    """``CASE … END`` giving ``metric`` ("amortized" or "net") of each line."""
    lines = ["CASE"]
    for rule in RULES:
        term = rule.amortized if metric == "amortized" else rule.net
        cond = f"{LINE_TYPE} = '{rule.line_type}'"
        if rule.reservation:
            cond += f" AND coalesce({RESERVATION_ARN}, '') <> ''"
        lines.append(f"  WHEN {cond} THEN {_sql_term(term, present)}")
    default = DEFAULT.amortized if metric == "amortized" else DEFAULT.net
    lines.append(f"  ELSE {_sql_term(default, present)}")
    lines.append("END")
    return "\n".join(lines)


# --- pyarrow compute expressions (the CUR backend) -------------------------------------


def arrow_term(term: Term, present: Callable[[str], bool]) -> Any:
    """A ``pyarrow.compute.Expression`` for one term (absent columns are NULL)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(term, Col):
        if present(term.name):
            return pc.field(term.name).cast(pa.float64())
        return pc.scalar(pa.scalar(None, pa.float64()))
    if isinstance(term, Zero):
        return pc.scalar(0.0)
    if isinstance(term, Either):
        return pc.coalesce(arrow_term(term.first, present), arrow_term(term.second, present))
    func = pc.add if isinstance(term, Plus) else pc.subtract
    return func(arrow_term(term.left, present), arrow_term(term.right, present))


def arrow_has_reservation(present: Callable[[str], bool]) -> Any:
    """A boolean expression: the line carries a reservation ARN."""
    import pyarrow.compute as pc

    if not present(RESERVATION_ARN):
        return pc.scalar(False)
    return pc.not_equal(pc.coalesce(pc.field(RESERVATION_ARN), pc.scalar("")), pc.scalar(""))


def arrow_expression(metric: str, present: Callable[[str], bool]) -> Any:
    """A ``pyarrow.compute.Expression`` giving ``metric`` of each line (row by row)."""
    import pyarrow.compute as pc

    has_arn = arrow_has_reservation(present)
    result = arrow_term(DEFAULT.amortized if metric == "amortized" else DEFAULT.net, present)
    for rule in reversed(RULES):
        cond = pc.equal(pc.field(LINE_TYPE), pc.scalar(rule.line_type))
        if rule.reservation:
            cond = pc.and_kleene(cond, has_arn)
        chosen = rule.amortized if metric == "amortized" else rule.net
        result = pc.if_else(cond, arrow_term(chosen, present), result)
    return result


# --- after aggregation (the fast path for big bills) ------------------------------------
#
# SUM(CASE WHEN type = X THEN term_X … END) over a group that holds one line type and one
# reservation flag is just SUM(term_X). So a backend that groups by line type and flag can
# sum every term row by row (no per-row branching) and pick each group's term afterwards.


def terms() -> list[Term]:
    """Every distinct non-zero term of the rules, in a stable order."""
    found: list[Term] = []
    for rule in (*RULES, DEFAULT):
        for term in (rule.amortized, rule.net):
            if not isinstance(term, Zero) and term not in found:
                found.append(term)
    return found


def pick_terms(frame: Any, sums: dict[Term, str]) -> Any:
    """``frame`` (with line_type, reservation and summed term columns) plus amortized/net."""
    for metric in ("amortized", "net"):
        default = DEFAULT.amortized if metric == "amortized" else DEFAULT.net
        values = frame[sums[default]].astype("float64")
        for rule in RULES:
            hit = frame["line_type"] == rule.line_type
            if rule.reservation:
                hit &= frame["reservation"].astype(bool)
            term = rule.amortized if metric == "amortized" else rule.net
            values = values.mask(hit, 0.0 if isinstance(term, Zero) else frame[sums[term]])
        frame[metric] = values
    return frame
