"""A plan that adds capacity says what it adds to the monthly bill.

Planned against the live sandbox over HTTP. The expected figure is worked out here from
independent sources: the task size from ECS as alice sees it (boto3), the environment's
rates from the sandbox's CUR files for the last complete month (DuckDB: Fargate cost over
Fargate hours), and AWS's 730-hour month.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from opskit.changes import Engine
from opskit.changes.service_changes import ScaleChange
from opskit.costs.rates import EffectiveRates
from opskit.errors import AuthError


@pytest.fixture
def workspace(sandbox: Any, tmp_path: Path) -> Any:
    from opskit.workspace import open_workspace

    return dataclasses.replace(open_workspace(user="alice"), state_dir=tmp_path)


def last_month() -> str:
    first = dt.datetime.now(dt.UTC).date().replace(day=1)
    previous = first - dt.timedelta(days=1)
    return f"{previous.year:04d}-{previous.month:02d}"


def fargate_rates(cur: Path, account: str, period: str) -> tuple[float, float]:
    duckdb = pytest.importorskip("duckdb")
    con = duckdb.connect()
    rows = con.execute(
        f"""SELECT CASE WHEN line_item_usage_type LIKE '%Fargate-vCPU-Hours%' THEN 'cpu'
                        ELSE 'gb' END AS kind,
                   sum(line_item_unblended_cost) / sum(line_item_usage_amount)
            FROM read_parquet('{cur}/**/*.parquet', hive_partitioning = true)
            WHERE BILLING_PERIOD = ? AND line_item_usage_account_id = ?
              AND line_item_line_item_type = 'Usage'
              AND (line_item_usage_type LIKE '%Fargate-vCPU-Hours%'
                   OR line_item_usage_type LIKE '%Fargate-GB-Hours%')
            GROUP BY 1""",
        [period, account],
    ).fetchall()
    found = dict(rows)
    return float(found["cpu"]), float(found["gb"])


def test_a_scale_plan_carries_its_monthly_cost(
    workspace: Any, alice: Any, opskit_state_dir: Path
) -> None:
    engine = Engine.from_workspace(workspace)
    ecs = alice.client("ecs", env="dev")
    plan = engine.plan(ScaleChange("dev", "api", 3))
    (diff,) = plan.diffs
    _, _, _, cluster, service = diff.resource.split("/", 4)
    td_arn = ecs.describe_services(cluster=cluster, services=[service])["services"][0][
        "taskDefinition"
    ]
    td = ecs.describe_task_definition(taskDefinition=td_arn)["taskDefinition"]
    vcpu, gb = int(td["cpu"]) / 1024, int(td["memory"]) / 1024
    account = workspace.config.environment("dev").account_id
    per_vcpu, per_gb = fargate_rates(opskit_state_dir / "sandbox" / "cur", account, last_month())
    added = 3 - int(diff.before)
    expected = added * (vcpu * per_vcpu + gb * per_gb) * 730
    (note,) = [n for n in plan.notes if "/month" in n]
    found = re.search(r"estimated ([+-])\$([\d,]+\.\d\d)/month", note)
    assert found, note
    assert float(found[2].replace(",", "")) == pytest.approx(abs(expected), abs=0.01)
    assert found[1] == ("+" if added > 0 else "-")
    assert f"{added:+d} task(s) × {vcpu:g} vCPU/{gb:g} GB" in note
    assert f"rates from {last_month()}" in note


class NoCostExplorer:
    def ops_client(self, service: str, region: str | None = None) -> Any:
        raise AuthError("ce:GetCostAndUsage denied for this user")


def test_without_costs_the_plan_says_so_and_goes_on(workspace: Any) -> None:
    rates = EffectiveRates(workspace.config, NoCostExplorer(), workspace.state_dir)
    engine = Engine.from_workspace(workspace, capacity_rates=rates)
    plan = engine.plan(ScaleChange("dev", "api", 4))
    assert plan.diffs
    (note,) = [n for n in plan.notes if "cost" in n]
    assert note.startswith("cost delta of api unknown")
    assert "cost unavailable" in note and "denied" in note
