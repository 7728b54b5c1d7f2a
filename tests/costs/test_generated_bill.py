"""The sandbox's generated bill: its shape, its story, and every backend agreeing on it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from costs_support import TODAY

from opskit.costs import build_report
from opskit.costs.spec import make_spec

LINE_TYPES = {
    "Usage", "SavingsPlanCoveredUsage", "SavingsPlanNegation", "SavingsPlanRecurringFee",
    "SavingsPlanUpfrontFee", "DiscountedUsage", "RIFee", "Fee", "Credit", "Refund", "Tax",
}  # fmt: skip


@pytest.fixture(scope="module")
def bill_table(generated_bill: Path) -> Any:
    import pyarrow.dataset as ds

    return ds.dataset(generated_bill, format="parquet", partitioning="hive")


def test_thirteen_partitions_of_cur2_parquet(generated_bill: Path, bill_table: Any) -> None:
    folders = sorted(p.name for p in generated_bill.rglob("BILLING_PERIOD=*"))
    assert len(folders) == 13
    assert folders[-1] == "BILLING_PERIOD=2025-11" and folders[0] == "BILLING_PERIOD=2024-11"
    import pyarrow.parquet as pq

    schema = pq.read_schema(next(generated_bill.rglob("*.parquet")))
    assert len(schema) == 65
    import pyarrow as pa

    assert pa.types.is_map(schema.field("resource_tags").type)
    types = set(bill_table.to_table(columns=["line_item_line_item_type"]).column(0).to_pylist())
    assert types == LINE_TYPES
    entities = set(bill_table.to_table(columns=["bill_billing_entity"]).column(0).to_pylist())
    assert entities == {"AWS", "AWS Marketplace"}


def test_same_seed_and_date_give_the_same_bill(repo_config: Any) -> None:
    from sandbox.billing import costdata

    spec = costdata.bill_spec(repo_config, today=TODAY)
    first = [t for _, t in costdata.generate(spec)]
    second = [t for _, t in costdata.generate(spec)]
    assert all(a.equals(b) for a, b in zip(first, second, strict=True))


def test_more_line_items_split_the_same_money(repo_config: Any) -> None:
    from sandbox.billing import costdata
    from sandbox.billing.spec import BillSpec

    base = costdata.bill_spec(repo_config, today=dt.date(2025, 3, 5))
    small = {p: t for p, t in costdata.generate(base)}
    bigger = BillSpec(**{**base.__dict__, "months": 13, "line_items": 150_000})
    for period, table in costdata.generate(bigger):
        assert table.num_rows > 2 * small[period].num_rows
        got = sum(table.column("line_item_unblended_cost").to_pylist())
        want = sum(small[period].column("line_item_unblended_cost").to_pylist())
        assert got == pytest.approx(want, rel=1e-9)


def test_the_story_trend_jump_and_untagged_share(
    generated_bill: Path, workspace_for: Callable[..., Any]
) -> None:
    report = build_report(workspace_for(generated_bill), months=12, by="env,tag:team", today=TODAY)
    prod = report.totals_by_env()["prod"]
    changes = (prod / prod.shift(1) - 1).dropna().iloc[:-1]  # the current month is partial
    jump = changes.idxmax()
    assert changes.max() > 0.2  # the scale-out month
    assert (changes.drop(jump).abs() < 0.15).all()  # growth, wobble and month lengths
    share = report.untagged_share("team")
    assert share is not None
    assert 0.05 < share["prod"]["2025-10"] < 0.6
    assert report.unmapped_accounts == ["555555555555"]
    months = set(report.frame.loc[report.frame["charge"] == "credit", "period"])
    assert len(months) == 6
    assert set(report.frame["charge"]) >= {
        "usage",
        "commitment",
        "support",
        "credit",
        "refund",
        "tax",
    }


def test_cur_backend_equals_generated_sql_in_duckdb(
    generated_bill: Path, workspace_for: Callable[..., Any]
) -> None:
    duckdb = pytest.importorskip("duckdb")
    from opskit.costs import sql
    from opskit.costs.frame import tidy

    ws = workspace_for(generated_bill)
    report = build_report(ws, months=12, by="env,service,tag:team,tag:service", today=TODAY)
    spec = make_spec(months=12, by="env,service,tag:team,tag:service", source="athena", today=TODAY)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA cur")
    con.execute(
        f"CREATE VIEW cur.cur2 AS SELECT * FROM read_parquet('{generated_bill}/**/*.parquet', "
        "hive_partitioning = true)"
    )
    con.execute("CREATE MACRO element_at(m, k) AS map_extract(m, k)[1]")
    raw = con.execute(sql.report_sql(sql.table_name("cur", "cur2"), spec.periods, spec.tags)).df()
    frame = tidy(
        raw,
        spec,
        ws.config.env_for_account,
        {"7x3f9datadogpro0qwrx": "Datadog Pro (Pay-As-You-Go)"},
    )
    keys = [c for c in report.frame.columns if c not in ("unblended", "amortized", "net")]
    ours = report.frame.set_index(keys).sort_index()
    theirs = frame.set_index(keys).sort_index()
    assert list(ours.index) == list(theirs.index)
    for metric in ("unblended", "amortized", "net"):
        assert ours[metric].to_numpy() == pytest.approx(theirs[metric].to_numpy(), abs=1e-6)
