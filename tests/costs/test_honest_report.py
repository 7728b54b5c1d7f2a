"""Numbers an analyst can sign: forecasts of every charge class, partial months marked,
month over month per day, a chosen pair. Expected values come from the CUR files through
DuckDB and the CID amortization rule written out here, never from opskit's code.
"""

from __future__ import annotations

import calendar
import json
import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from costs_support import TODAY

from opskit.costs import build_report
from opskit.costs.render import render
from opskit.errors import UsageError

# CID's amortized cost (AWS's Cloud Intelligence Dashboards summary view), line by line.
AMORTIZED = """
CASE line_item_line_item_type
  WHEN 'SavingsPlanCoveredUsage' THEN savings_plan_savings_plan_effective_cost
  WHEN 'SavingsPlanRecurringFee' THEN savings_plan_total_commitment_to_date
                                      - savings_plan_used_commitment
  WHEN 'SavingsPlanNegation' THEN 0
  WHEN 'SavingsPlanUpfrontFee' THEN 0
  WHEN 'DiscountedUsage' THEN reservation_effective_cost
  WHEN 'RIFee' THEN reservation_unused_amortized_upfront_fee_for_billing_period
                    + reservation_unused_recurring_fee
  ELSE CASE WHEN line_item_line_item_type = 'Fee' AND reservation_reservation_a_r_n <> ''
            THEN 0 ELSE line_item_unblended_cost END
END
"""
CLASS = """
CASE
  WHEN line_item_line_item_type IN ('Tax', 'Credit', 'Refund')
    THEN lower(line_item_line_item_type)
  WHEN line_item_product_code LIKE 'AWSSupport%' THEN 'support'
  WHEN line_item_line_item_type IN ('SavingsPlanRecurringFee', 'SavingsPlanUpfrontFee', 'RIFee')
    THEN 'commitment'
  WHEN line_item_line_item_type = 'Fee' AND reservation_reservation_a_r_n <> ''
    THEN 'commitment'
  WHEN line_item_line_item_type = 'Fee' THEN 'fee'
  ELSE 'usage'
END
"""


@pytest.fixture(scope="module")
def bill(generated_bill: Path, repo_config: Any) -> Any:
    """DuckDB over the generated CUR files: amortized per period, day, environment, class."""
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    envs = {env.account_id: name for name, env in repo_config.environments.items()}
    envs[repo_config.ops.account_id] = repo_config.ops.name
    con.execute("CREATE TABLE envs (account VARCHAR, env VARCHAR)")
    con.executemany("INSERT INTO envs VALUES (?, ?)", list(envs.items()))
    con.execute(
        f"""CREATE TABLE lines AS
        SELECT BILLING_PERIOD AS period,
               CAST(line_item_usage_start_date AS DATE) AS day,
               coalesce(envs.env, 'unmapped') AS env,
               {CLASS} AS class,
               {AMORTIZED} AS amortized
        FROM read_parquet('{generated_bill}/**/*.parquet', hive_partitioning = true)
        LEFT JOIN envs ON envs.account = line_item_usage_account_id"""
    )
    return con


def _sum(bill: Any, where: str, *params: Any) -> float:
    return float(
        bill.execute(
            f"SELECT coalesce(sum(amortized), 0) FROM lines WHERE {where}", params
        ).fetchone()[0]
    )


@pytest.fixture(scope="module")
def report(generated_bill: Path, repo_config: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from costs_support import LocalWorkspace, NoAws, with_costs

    config = with_costs(
        repo_config, source="cur", cur_path=str(generated_bill), shared={"rule": "none"}
    )
    ws = LocalWorkspace(config, NoAws(), tmp_path_factory.mktemp("state"))
    return build_report(ws, months=6, by="env", today=TODAY)


def test_the_forecast_covers_every_charge_class_with_its_method(report: Any, bill: Any) -> None:
    current, previous = "2025-11", "2025-10"
    classes = report.forecast_by_class()
    last_days = [
        r[0]
        for r in bill.execute(
            "SELECT DISTINCT day FROM lines WHERE class IN ('usage', 'commitment')"
            " ORDER BY day DESC LIMIT 7"
        ).fetchall()
    ]
    days_left = calendar.monthrange(2025, 11)[1] - TODAY.day
    for env in ("dev", "stage", "prod", "ops", "unmapped"):
        mine = classes[classes["environment"] == env].set_index("charge")
        billed_before = {
            c
            for (c,) in bill.execute(
                "SELECT DISTINCT class FROM lines WHERE period = ? AND env = ? AND amortized <> 0",
                [previous, env],
            ).fetchall()
        }
        # every class last month's total had (tax and support included) is forecast
        assert billed_before - {"fee"} <= set(mine.index), env
        assert all(mine["method"].str.len() > 0)
        # usage and commitments: month to date + the median of the last 7 days × days left
        running = ("usage", "commitment")
        mtd = _sum(
            bill, "period = ? AND env = ? AND class IN ('usage', 'commitment')", current, env
        )
        per_day = [
            _sum(bill, "day = ? AND env = ? AND class IN ('usage', 'commitment')", d, env)
            for d in last_days
        ]
        run = mtd + statistics.median(per_day) * days_left
        assert mine.loc[[c for c in running if c in mine.index], "forecast"].sum() == pytest.approx(
            run
        )
        # tax: last month's share of usage and commitments, applied to this month's forecast
        base = _sum(
            bill, "period = ? AND env = ? AND class IN ('usage', 'commitment')", previous, env
        )
        tax = _sum(bill, "period = ? AND env = ? AND class = 'tax'", previous, env)
        assert mine.loc["tax", "forecast"] == pytest.approx(tax / base * run)
    # support is billed on the whole organisation's spend, and posted to ops
    org_base = _sum(bill, "period = ? AND class IN ('usage', 'commitment')", previous)
    support = _sum(bill, "period = ? AND class = 'support'", previous)
    org_run = classes[classes["charge"].isin(["usage", "commitment"])]["forecast"].sum()
    ops = classes[(classes["environment"] == "ops") & (classes["charge"] == "support")]
    assert float(ops["forecast"].iloc[0]) == pytest.approx(support / org_base * org_run)
    # so the month ahead is not "cheaper" than the last for want of tax and support
    last_month = _sum(bill, "period = ?", previous)
    forecast = float(report.forecast()["forecast"].sum())
    assert forecast == pytest.approx(last_month * 30 / 31 * 1.025, rel=0.06)


def test_months_counts_complete_months_and_marks_the_partial_one(
    report: Any, generated_bill: Path, workspace_for: Callable[..., Any]
) -> None:
    assert report.spec.periods == (
        "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11",
    )  # fmt: skip
    assert report.partial_periods() == {"2025-11": (26, 30)}
    two = build_report(workspace_for(generated_bill), months=2, by="env,service", today=TODAY)
    text = render(two, "table")
    assert "2025-11 (to date, 26/30 days)" in text
    assert "2025-10 by environment, service" in text  # details the last complete month
    assert "Month over month per day: 2025-09 -> 2025-10" in text
    document = json.loads(render(two, "json"))
    assert document["partial_periods"] == {"2025-11": {"days_billed": 26, "days_in_month": 30}}
    assert document["complete_periods"] == ["2025-09", "2025-10"]
    page = render(two, "html")
    assert page.count('data-partial="true"') == len(two.env_order)  # one segment per env
    assert "2025-11 to date" in page
    assert "more rows" not in page  # the HTML shows every row
    rows = two.frame[two.frame["period"] == "2025-10"].groupby(["environment", "service"])
    by_service = page.split("2025-10 by environment, service</h2>")[1].split("</table>")[0]
    assert by_service.count("<tr>") == len(rows) + 1  # + the header


def test_month_over_month_compares_spend_per_day(report: Any, bill: Any) -> None:
    drivers = report.mom_drivers(top=None).set_index(["environment", "charge"])
    assert drivers.attrs["periods"] == ("2025-09", "2025-10")
    for (env, charge), row in drivers.iterrows():
        sep = _sum(bill, "period = '2025-09' AND env = ? AND class = ?", env, charge)
        oct_ = _sum(bill, "period = '2025-10' AND env = ? AND class = ?", env, charge)
        assert row["previous_per_day"] == pytest.approx(sep / 30)
        assert row["current_per_day"] == pytest.approx(oct_ / 31)
        assert row["delta_per_day"] == pytest.approx(oct_ / 31 - sep / 30)
    # September (30 days) to October (31): flat daily usage is no "rise" of 3 %
    usage = drivers.loc[("dev", "usage")]
    assert abs(usage["delta_pct"]) < abs((usage["current"] / usage["previous"] - 1) * 100)


def test_a_chosen_pair_and_the_movers_over_the_window(
    generated_bill: Path, workspace_for: Callable[..., Any], bill: Any
) -> None:
    ws = workspace_for(generated_bill, shared={"rule": "none"})
    chosen = build_report(ws, months=6, by="env", today=TODAY, compare="2025-08:2025-06")
    drivers = chosen.mom_drivers(top=None).set_index(["environment", "charge"])
    assert drivers.attrs["periods"] == ("2025-06", "2025-08")
    prod: Any = drivers.loc[("prod", "usage")]
    june = _sum(bill, "period = '2025-06' AND env = 'prod' AND class = 'usage'")
    august = _sum(bill, "period = '2025-08' AND env = 'prod' AND class = 'usage'")
    assert prod["delta_per_day"] == pytest.approx(august / 31 - june / 30)
    text = render(chosen, "table")
    assert "Month over month per day: 2025-06 -> 2025-08" in text
    assert "Largest movers over the window per day: 2025-05 -> 2025-10" in text
    movers = chosen.window_movers(top=None).set_index(["environment", "charge"])
    may = _sum(bill, "period = '2025-05' AND env = 'prod' AND class = 'usage'")
    october = _sum(bill, "period = '2025-10' AND env = 'prod' AND class = 'usage'")
    assert movers.loc[("prod", "usage"), "delta_per_day"] == pytest.approx(october / 31 - may / 31)
    with pytest.raises(UsageError, match="2025-01 is outside the report's months"):
        build_report(ws, months=6, by="env", today=TODAY, compare="2025-01:2025-06")
    with pytest.raises(UsageError, match="expected YYYY-MM:YYYY-MM"):
        build_report(ws, months=6, by="env", today=TODAY, compare="june:july")


def test_the_savings_plan_stops_billing_at_its_term(generated_bill: Path) -> None:
    """Bought with the window's first month (2024-11-01), one year: nothing after 2025-10."""
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    rows = con.execute(
        f"""SELECT BILLING_PERIOD, count(*) FROM read_parquet('{generated_bill}/**/*.parquet',
            hive_partitioning = true)
            WHERE line_item_line_item_type LIKE 'SavingsPlan%' GROUP BY 1 ORDER BY 1"""
    ).fetchall()
    periods = [p for p, _ in rows]
    assert periods[0] == "2024-11" and periods[-1] == "2025-10" and len(periods) == 12
    upfront = con.execute(
        f"""SELECT BILLING_PERIOD FROM read_parquet('{generated_bill}/**/*.parquet',
            hive_partitioning = true) WHERE line_item_line_item_type = 'SavingsPlanUpfrontFee'"""
    ).fetchall()
    assert upfront == [("2024-11",)]
