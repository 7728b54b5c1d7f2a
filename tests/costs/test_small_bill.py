"""The CUR backend and the Athena SQL against the hand-computed totals of a 19-line bill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from costs_smallbill import STRANGER, TRUTH

from opskit.costs import build_report
from opskit.costs.spec import make_spec

MARCH = dt.date(2025, 3, 15)


def by_env(frame: Any, metric: str) -> dict[tuple[str, str], float]:
    summed = frame.groupby(["period", "environment"])[metric].sum()
    return {key: round(float(value), 6) for key, value in summed.items()}


@pytest.mark.parametrize("metric", ["amortized", "unblended", "net"])
def test_totals_per_environment_and_month_match_hand_truth(
    small_bill: Path, workspace_for: Callable[..., Any], metric: str
) -> None:
    report = build_report(workspace_for(small_bill), months=2, by="env,service", today=MARCH)
    assert by_env(report.frame, metric) == pytest.approx(TRUTH[metric])


def test_missing_month_and_unmapped_account_are_reported(
    small_bill: Path, workspace_for: Callable[..., Any]
) -> None:
    report = build_report(workspace_for(small_bill), months=2, by="env", today=MARCH)
    assert report.missing_periods == ["2025-03"]
    assert report.unmapped_accounts == [STRANGER]
    notes = " ".join(report.notes())
    assert "no data for 2025-03" in notes and STRANGER in notes


def test_charges_are_lines_of_their_own(
    small_bill: Path, workspace_for: Callable[..., Any]
) -> None:
    report = build_report(workspace_for(small_bill), months=2, by="env,service", today=MARCH)
    jan = report.frame[report.frame["period"] == "2025-01"]
    charges = jan.groupby(["environment", "charge"])["amortized"].sum().round(6).to_dict()
    assert charges[("dev", "credit")] == -30.0
    assert charges[("prod", "refund")] == -10.0
    assert charges[("prod", "tax")] == 8.0
    assert charges[("ops", "support")] == 100.0
    assert charges[("ops", "commitment")] == 12.0  # SP unused 4 + RI unused 8 (+ 0 upfront)
    services = set(jan["service"])
    assert {"EC2", "S3", "Savings Plans", "Support", "Tax", "Datadog Pro"} <= services


def test_tags_and_untagged_share(small_bill: Path, workspace_for: Callable[..., Any]) -> None:
    report = build_report(workspace_for(small_bill), months=2, by="env,tag:team", today=MARCH)
    jan = report.frame[
        (report.frame["period"] == "2025-01") & (report.frame["environment"] == "dev")
    ]
    assert jan.groupby("tag:team")["amortized"].sum().to_dict() == pytest.approx(
        {"api": 100.0, "(untagged)": -10.0}  # S3 20 untagged, credit -30 untagged
    )
    share = report.untagged_share("team")
    assert share is not None
    assert share.loc["2025-01", "dev"] == pytest.approx(20 / 120)  # usage only: S3 of EC2+S3
    assert share.loc["2025-01", "prod"] == pytest.approx(0.0)


def test_proportional_allocation_of_the_ops_account(
    small_bill: Path, workspace_for: Callable[..., Any]
) -> None:
    ws = workspace_for(small_bill, shared={"rule": "proportional"})
    report = build_report(ws, months=2, by="env", today=MARCH)
    totals = by_env(report.frame, "amortized")
    # Feb: ops 110 split by usage dev 120 : prod 80
    assert totals[("2025-02", "dev")] == pytest.approx(120 + 66)
    assert totals[("2025-02", "prod")] == pytest.approx(80 + 44)
    # Jan: ops 162 split by usage dev 120 (EC2+S3) : prod 66 (36 SP + 30 RI)
    assert totals[("2025-01", "dev")] == pytest.approx(90 + 162 * 120 / 186)
    assert totals[("2025-01", "prod")] == pytest.approx(64 + 162 * 66 / 186)
    assert ("2025-01", "ops") not in totals
    assert sum(totals.values()) == pytest.approx(sum(TRUTH["amortized"].values()))
    assert "allocated" in " ".join(report.notes())


def test_fixed_share_allocation(small_bill: Path, workspace_for: Callable[..., Any]) -> None:
    ws = workspace_for(small_bill, shared={"rule": "fixed", "shares": {"dev": 1, "prod": 3}})
    totals = by_env(build_report(ws, months=2, by="env", today=MARCH).frame, "amortized")
    assert totals[("2025-02", "dev")] == pytest.approx(120 + 27.5)
    assert totals[("2025-02", "prod")] == pytest.approx(80 + 82.5)


def test_generated_athena_sql_gives_the_same_numbers_in_duckdb(
    small_bill: Path, workspace_for: Callable[..., Any]
) -> None:
    """The SQL text Athena would get, run by DuckDB over the same parquet."""
    duckdb = pytest.importorskip("duckdb")
    from opskit.costs import sql

    spec = make_spec(months=2, by="env,service,tag:team", source="athena", today=MARCH)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA cur")
    con.execute(
        f"CREATE VIEW cur.cur2 AS SELECT * FROM read_parquet('{small_bill}/**/*.parquet', "
        "hive_partitioning = true, union_by_name = true)"
    )
    con.execute("CREATE MACRO element_at(m, k) AS map_extract(m, k)[1]")  # Athena's meaning
    # This hand-made table lacks some CUR 2.0 columns: the SQL treats them as NULL.
    columns = {row[0] for row in con.execute("DESCRIBE cur.cur2").fetchall()}
    table = sql.table_name("cur", "cur2")
    text = sql.report_sql(table, spec.periods, spec.tags, present=columns.__contains__)
    raw = con.execute(text).df()
    from opskit.costs.frame import tidy

    config = workspace_for(small_bill).config
    frame = tidy(raw, spec, config.env_for_account)
    for metric in ("amortized", "unblended", "net"):
        assert by_env(frame, metric) == pytest.approx(TRUTH[metric])
