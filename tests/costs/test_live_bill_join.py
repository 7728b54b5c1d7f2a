"""End to end: a scale in the sandbox moves its bill, and the report names the change.

alice scales dev's Fargate worker ``app-jobs`` 1 -> 5 through the engine (journaled); the
sandbox's bill follows the live desired count; moving the bill's today on by three days
bills those days at five tasks. The report's join must find the step in app-jobs' daily
spend and name alice's change. The bill itself is checked with DuckDB on the sandbox's
CUR files: the days after the scale cost about five times the days before.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from opskit.changes import Engine
from opskit.changes.service_changes import ScaleChange
from opskit.costs import build_report
from sandbox.control import bill_now

DAYS = 3


@pytest.fixture
def scaled(sandbox: Any, tmp_path: Path) -> Iterator[tuple[Any, Any, dt.date]]:
    from opskit.workspace import open_workspace

    ws = dataclasses.replace(open_workspace(user="alice"), state_dir=tmp_path)
    engine = Engine.from_workspace(ws)
    plan = engine.plan(ScaleChange("dev", "app-jobs", 5))
    result = engine.apply(plan)
    assert result.outcome == "applied", result.detail
    moved = dt.date.fromisoformat(bill_now(sandbox, advance_days=DAYS)["today"])
    try:
        yield ws, plan, moved
    finally:
        engine.apply(engine.plan(ScaleChange("dev", "app-jobs", 1)))
        bill_now(sandbox, advance_days=-DAYS)


def daily(cur: Path, account: str) -> dict[dt.date, float]:
    duckdb = pytest.importorskip("duckdb")
    rows = (
        duckdb.connect()
        .execute(
            f"""SELECT CAST(line_item_usage_start_date AS DATE), sum(line_item_unblended_cost)
            FROM read_parquet('{cur}/**/*.parquet', hive_partitioning = true)
            WHERE line_item_usage_account_id = ? AND line_item_line_item_type = 'Usage'
              AND line_item_product_code = 'AmazonECS'
              AND element_at(resource_tags, 'user_service')[1] = 'app-jobs'
            GROUP BY 1""",
            [account],
        )
        .fetchall()
    )
    return {day: float(amount) for day, amount in rows}


def test_the_bill_follows_the_scale_and_the_join_names_it(
    scaled: tuple[Any, Any, dt.date], opskit_state_dir: Path
) -> None:
    ws, plan, today = scaled
    real_today = today - dt.timedelta(days=DAYS)
    account = ws.config.environment("dev").account_id
    spend = daily(opskit_state_dir / "sandbox" / "cur", account)
    assert max(spend) == today  # the bill now runs to the advanced today
    before = [spend[real_today - dt.timedelta(days=i)] for i in range(1, 4)]
    after = [spend[real_today + dt.timedelta(days=i)] for i in range(1, DAYS + 1)]
    assert 3.5 < (sum(after) / len(after)) / (sum(before) / len(before)) < 6.5
    report = build_report(ws, months=1, by="env,service", source="cur", today=today, refresh=True)
    steps = [s for s in report.explained if (s.environment, s.service) == ("dev", "app-jobs")]
    assert len(steps) == 1, [s.text() for s in report.explained]
    (step,) = steps
    assert step.day in (real_today, real_today + dt.timedelta(days=1))
    assert step.change is not None and step.change.change_id == plan.id
    assert step.change.user == "alice"
    assert "`scale app-jobs 1→5` by alice" in step.text()
    assert step.text().startswith("dev app-jobs +$")
    athena = build_report(
        ws, months=1, by="env,service", source="athena", today=today, refresh=True
    )
    assert [s.text() for s in athena.explained] == [s.text() for s in report.explained]


def test_the_bill_stays_within_its_month(sandbox: Any) -> None:
    from opskit.errors import UsageError

    with pytest.raises(UsageError, match="stays within"):
        bill_now(sandbox, advance_days=40)
    with pytest.raises(UsageError, match="stays within"):
        bill_now(sandbox, advance_days=-1)  # never before the real today
