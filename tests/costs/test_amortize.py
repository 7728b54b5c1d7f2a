"""Amortization rules, one per CUR line type, and the three renderings agreeing."""

from __future__ import annotations

import pytest

from opskit.costs import amortize

ARN = "arn:aws:ec2:eu-west-1:111111111111:reserved-instances/x"


@pytest.mark.parametrize(
    ("row", "amortized", "net"),
    [
        ({"line_item_line_item_type": "Usage", "line_item_unblended_cost": 10.0}, 10.0, 10.0),
        (
            {
                "line_item_line_item_type": "Usage",
                "line_item_unblended_cost": 10.0,
                "line_item_net_unblended_cost": 9.5,
            },
            10.0,
            9.5,
        ),
        (
            {
                "line_item_line_item_type": "SavingsPlanCoveredUsage",
                "line_item_unblended_cost": 10.0,
                "savings_plan_savings_plan_effective_cost": 7.2,
                "savings_plan_net_savings_plan_effective_cost": 7.0,
            },
            7.2,
            7.0,
        ),
        (
            {
                "line_item_line_item_type": "SavingsPlanRecurringFee",
                "line_item_unblended_cost": 20.0,
                "savings_plan_total_commitment_to_date": 40.0,
                "savings_plan_used_commitment": 36.5,
            },
            3.5,
            3.5,
        ),
        (
            {"line_item_line_item_type": "SavingsPlanNegation", "line_item_unblended_cost": -10.0},
            0.0,
            0.0,
        ),
        (
            {
                "line_item_line_item_type": "SavingsPlanUpfrontFee",
                "line_item_unblended_cost": 999.0,
            },
            0.0,
            0.0,
        ),
        (
            {
                "line_item_line_item_type": "DiscountedUsage",
                "line_item_unblended_cost": 0.0,
                "reservation_effective_cost": 6.2,
                "reservation_net_effective_cost": None,
            },
            6.2,
            6.2,
        ),
        (
            {
                "line_item_line_item_type": "RIFee",
                "line_item_unblended_cost": 60.0,
                "reservation_unused_amortized_upfront_fee_for_billing_period": 5.0,
                "reservation_unused_recurring_fee": 3.0,
                "reservation_net_unused_recurring_fee": 2.0,
            },
            8.0,
            7.0,
        ),
        (
            {
                "line_item_line_item_type": "Fee",
                "line_item_unblended_cost": 500.0,
                "reservation_reservation_a_r_n": ARN,
            },
            0.0,
            0.0,
        ),
        ({"line_item_line_item_type": "Fee", "line_item_unblended_cost": 100.0}, 100.0, 100.0),
        (
            {
                "line_item_line_item_type": "Fee",
                "line_item_unblended_cost": 100.0,
                "reservation_reservation_a_r_n": "",
            },
            100.0,
            100.0,
        ),
        ({"line_item_line_item_type": "Credit", "line_item_unblended_cost": -30.0}, -30.0, -30.0),
        ({"line_item_line_item_type": "Refund", "line_item_unblended_cost": -10.0}, -10.0, -10.0),
        ({"line_item_line_item_type": "Tax", "line_item_unblended_cost": 8.0}, 8.0, 8.0),
        ({"line_item_line_item_type": "EdpDiscount", "line_item_unblended_cost": -4.0}, -4.0, -4.0),
    ],
)
def test_each_line_type(row: dict[str, object], amortized: float, net: float) -> None:
    assert amortize.amortized(row) == pytest.approx(amortized)
    assert amortize.net_amortized(row) == pytest.approx(net)


def test_nan_counts_as_null() -> None:
    row = {
        "line_item_line_item_type": "Usage",
        "line_item_unblended_cost": 4.0,
        "line_item_net_unblended_cost": float("nan"),
    }
    assert amortize.net_amortized(row) == 4.0


def test_sql_and_arrow_and_python_agree() -> None:
    """The same rows through the SQL text (DuckDB), the pyarrow expression and Python."""
    duckdb = pytest.importorskip("duckdb")
    import pyarrow as pa
    import pyarrow.dataset as ds
    from costs_smallbill import NUMERIC, rows

    data = rows("2025-01")
    types = {c: pa.float64() for c in NUMERIC}
    plain = {k: v for k, v in data.items() if k not in ("resource_tags", "product")}
    table = pa.table({k: pa.array(v, types.get(k)) for k, v in plain.items()})
    present = set(table.column_names).__contains__
    for metric, scalar in (("amortized", amortize.amortized), ("net", amortize.net_amortized)):
        python = [scalar(r) for r in table.to_pylist()]
        expression = amortize.arrow_expression(metric, present)
        arrow = ds.dataset(table).to_table(columns={"v": expression})["v"].to_pylist()
        con = duckdb.connect()
        con.register("t", table)
        sql = f"SELECT {amortize.sql_case(metric, present)} AS v FROM t"
        in_sql = [r[0] for r in con.execute(sql).fetchall()]
        assert arrow == pytest.approx(python)
        assert in_sql == pytest.approx(python)
    month = [amortize.amortized(r) for r in table.to_pylist()]
    assert None not in month
    hand_total = 90 + 64 + 162 + 12  # the month's hand total
    assert sum(v for v in month if v is not None) == pytest.approx(hand_total)


def test_needed_columns_cover_every_rule() -> None:
    needed = amortize.needed_columns()
    assert "savings_plan_used_commitment" in needed
    assert "reservation_unused_recurring_fee" in needed
    assert "line_item_net_unblended_cost" in needed
