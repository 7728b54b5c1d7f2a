"""The bill joined to the journal: a step in a service's daily spend names the change.

A hand-made CUR bill (prod's ``api`` steps up $41/day on 2026-11-03, ``worker`` down on
2026-11-20) and a journal holding alice's ``scale api 6→8`` of 2026-11-03, written with the
audit package's own records: the report must name the change for api and call worker's
step unexplained. The expected figures are the ones written into the bill below.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from costs_support import NoAws, with_costs

from opskit.audit import Actor, Journal, Origin, change_record
from opskit.costs import build_report
from opskit.costs.render import render

TODAY = dt.date(2026, 12, 7)
PROD_ACCOUNT = "444444444444"


@dataclass
class JournaledWorkspace:
    config: Any
    accounts: Any
    state_dir: Path
    journal_path: Path


def _daily(day: dt.date) -> list[tuple[str, float]]:
    """(service tag, amortized USD) of prod's Fargate lines on ``day``."""
    api = 82.0 if day < dt.date(2026, 11, 3) else 123.0
    worker = 30.0 if day < dt.date(2026, 11, 20) else 18.0
    part = 0.5 if day == TODAY else 1.0  # today is half billed yet: that is no drop
    return [("api", api * part), ("worker", worker * part), ("", 5.0 * part)]


def write_bill(root: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for period, days in (("2026-11", range(1, 31)), ("2026-12", range(1, TODAY.day + 1))):
        rows: dict[str, list[Any]] = {
            k: []
            for k in (
                "line_item_usage_account_id", "line_item_line_item_type",
                "line_item_product_code", "line_item_unblended_cost",
                "line_item_usage_start_date", "resource_tags",
            )
        }  # fmt: skip
        for d in days:
            day = dt.date.fromisoformat(f"{period}-{d:02d}")
            for tag, amount in _daily(day):
                rows["line_item_usage_account_id"].append(PROD_ACCOUNT)
                rows["line_item_line_item_type"].append("Usage")
                rows["line_item_product_code"].append("AmazonECS")
                rows["line_item_unblended_cost"].append(amount)
                rows["line_item_usage_start_date"].append(dt.datetime.combine(day, dt.time()))
                rows["resource_tags"].append([("user_service", tag)] if tag else [])
        types = {
            "line_item_unblended_cost": pa.float64(),
            "line_item_usage_start_date": pa.timestamp("ms"),
            "resource_tags": pa.map_(pa.string(), pa.string()),
        }
        table = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in rows.items()})
        folder = root / "export" / "data" / f"BILLING_PERIOD={period}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-00001.snappy.parquet")


def journal_scale(path: Path, *, at: str, outcome: str = "applied", attempt: str = "a1") -> str:
    """A scale of prod's api 6 -> 8 by alice, journaled as the engine does (intent, outcome)."""
    plan = {
        "id": "1592beca77aa",
        "change": "scale",
        "summary": "scale api in prod: 6 -> 8",
        "env": "prod",
        "account_id": PROD_ACCOUNT,
        "region": "eu-west-1",
        "access": "deploy",
        "params": {"service": "api", "count": 8},
        "diffs": [
            {
                "resource": "prod/ecs/service/api/api",
                "field": "desiredCount",
                "before": 6,
                "after": 8,
            }
        ],
        "created_at": at,
    }
    journal = Journal(path)
    who = Actor(user="alice", arn="arn:aws:iam::111111111111:user/alice")
    for kind in ("intent", "outcome"):
        record = change_record(
            kind,
            plan,
            actor=who,
            origin=Origin(),
            role="deploy",
            outcome=outcome if kind == "outcome" else None,  # type: ignore[arg-type]
            attempt=attempt,
        )
        record["at"] = at
        journal.append(record)
    return str(plan["id"])


@pytest.fixture
def workspace(tmp_path: Path, repo_config: Any) -> JournaledWorkspace:
    write_bill(tmp_path / "cur")
    envs = {"prod": {**repo_config.environments["prod"].model_dump(), "account_id": PROD_ACCOUNT}}
    config = with_costs(repo_config, source="cur", cur_path=str(tmp_path / "cur"))
    config = config.model_copy(
        update={
            "environments": {
                **config.environments,
                "prod": config.environments["prod"].model_validate(envs["prod"]),
            }
        }
    )
    config._path = repo_config.path
    return JournaledWorkspace(config, NoAws(), tmp_path / "state", tmp_path / "journal.jsonl")


def test_a_step_names_the_change_that_explains_it(workspace: JournaledWorkspace) -> None:
    journal_scale(workspace.journal_path, at="2026-11-03T09:12:00.000Z")
    report = build_report(workspace, months=1, by="env,service", today=TODAY)
    steps = {(s.environment, s.service): s for s in report.explained}
    api = steps[("prod", "api")]
    assert api.day == dt.date(2026, 11, 3)
    assert api.delta == pytest.approx(123.0 - 82.0)
    assert api.text() == (
        "prod api +$41.00/day from 2026-11-03: `scale api 6→8` by alice (change 1592beca…)"
    )
    worker = steps[("prod", "worker")]
    assert worker.day == dt.date(2026, 11, 20) and worker.delta == pytest.approx(-12.0)
    assert worker.change is None
    assert len(report.explained) == 2  # no step in the untagged bucket, none today
    text = render(report, "table")
    assert "Run-rate steps joined to the audit journal" in text
    assert "unexplained: no journaled change" in text
    document = json.loads(render(report, "json"))
    by_service = {s["service"]: s for s in document["steps"]}
    assert by_service["api"]["change_id"] == "1592beca77aa"
    assert by_service["api"]["user"] == "alice"
    assert by_service["worker"]["change_id"] is None


def test_a_change_days_away_or_not_applied_explains_nothing(
    workspace: JournaledWorkspace,
) -> None:
    journal_scale(workspace.journal_path, at="2026-11-09T09:12:00.000Z")  # six days late
    journal_scale(
        workspace.journal_path, at="2026-11-03T09:12:00.000Z", outcome="failed", attempt="a2"
    )
    report = build_report(workspace, months=1, by="env,service", today=TODAY)
    api = next(s for s in report.explained if s.service == "api")
    assert api.day == dt.date(2026, 11, 3)
    assert api.change is None
    assert "prod api +$41.00/day from 2026-11-03: unexplained" in api.text()
