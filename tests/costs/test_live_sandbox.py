"""Cost reports against the live sandbox over HTTP: Cost Explorer, CUR on S3 and Athena.

The sandbox seeds 13 months of CUR 2.0 parquet into S3 and answers Cost Explorer and
Athena from the same line items, so the three backends must give the same numbers.
"""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess
from costs_support import with_costs

from opskit.costs import build_report, month_to_date, refresh_month_to_date
from opskit.costs.ce import CostExplorer
from opskit.costs.meter import Meter
from opskit.costs.spec import make_spec
from opskit.errors import AuthError

KEYS = ["period", "environment", "account", "charge", "service"]


@pytest.fixture(scope="module")
def live(sandbox: Any, repo_config: Any) -> Any:
    from opskit.workspace import open_workspace

    config = with_costs(repo_config, athena={"poll_seconds": 0.02})
    return open_workspace(config=config)


@pytest.fixture(scope="module")
def reports(live: Any) -> dict[str, Any]:
    """The same 13-month report from each backend (fresh, not from cache)."""
    return {
        source: build_report(live, months=12, by="env,service", source=source, refresh=True)
        for source in ("ce", "cur", "athena")
    }


def test_the_three_backends_agree(reports: dict[str, Any]) -> None:
    cur = reports["cur"].frame.set_index(KEYS).sort_index()
    assert len(cur) > 100
    for source in ("ce", "athena"):
        other = reports[source].frame.set_index(KEYS).sort_index()
        assert list(other.index) == list(cur.index), source
        for metric in ("unblended", "amortized", "net"):
            assert other[metric].to_numpy() == pytest.approx(cur[metric].to_numpy(), abs=1e-6)
    totals = {s: r.totals_by_env().round(6) for s, r in reports.items()}
    assert totals["ce"].equals(totals["cur"]) and totals["athena"].equals(totals["cur"])
    forecasts = {s: r.forecast().set_index("environment")["forecast"] for s, r in reports.items()}
    assert forecasts["ce"].to_numpy() == pytest.approx(forecasts["cur"].to_numpy(), rel=1e-9)
    assert forecasts["athena"].to_numpy() == pytest.approx(forecasts["cur"].to_numpy(), rel=1e-9)
    for report in reports.values():
        assert report.unmapped_accounts == ["555555555555"]
        assert report.missing_periods == []


def test_cost_explorer_pages_are_counted_priced_and_cached(
    live: Any, reports: dict[str, Any]
) -> None:
    meter = reports["ce"].meter
    accounts = reports["ce"].frame["account"].nunique()
    assert meter.ce_requests > 1 + accounts  # discovery + one query per account, some paged
    assert f"{meter.ce_requests} requests (${meter.ce_requests * 0.01:.2f}" in meter.lines()[0]
    again = build_report(live, months=12, by="env,service", source="ce")
    assert again.meter.ce_requests == 0 and again.meter.ce_cached == meter.ce_requests
    assert again.frame.equals(reports["ce"].frame)


def test_cur_on_s3_reads_only_needed_partitions_and_columns(
    live: Any, reports: dict[str, Any]
) -> None:
    s3 = live.accounts.ops_client("s3")
    listing = s3.list_objects_v2(Bucket="acme-cur", Prefix="cur2/")["Contents"]
    total = sum(o["Size"] for o in listing)
    assert len([o for o in listing if o["Key"].endswith(".parquet")]) == 13
    full = reports["cur"].meter
    assert full.cur_files == 13 and 0 < full.cur_bytes < total / 2  # column pruning
    recent = build_report(live, months=1, by="env", source="cur")
    assert recent.meter.cur_files == 2 and recent.meter.cur_bytes < full.cur_bytes / 3


def test_athena_runs_the_pruned_sql(reports: dict[str, Any]) -> None:
    meter = reports["athena"].meter
    assert meter.athena_queries in (2, 3)  # report, daily (and Marketplace names)
    assert 0 < meter.athena_scanned < 3 * reports["cur"].meter.cur_bytes


def test_athena_results_over_several_pages_match_cur(live: Any) -> None:
    by = "env,service,tag:team"
    athena = build_report(live, months=12, by=by, source="athena", refresh=True)
    cur = build_report(live, months=12, by=by, source="cur")
    keys = [*KEYS, "tag:team"]
    ours, theirs = athena.frame.set_index(keys).sort_index(), cur.frame.set_index(keys).sort_index()
    assert list(ours.index) == list(theirs.index)
    assert ours["net"].to_numpy() == pytest.approx(theirs["net"].to_numpy(), abs=1e-6)
    from opskit.costs import sql

    table = sql.table_name(live.config.costs.athena.database, live.config.costs.athena.table)
    from opskit.costs.athena import Athena

    runner = Athena(live.accounts.ops_client("athena"), live.config.costs.athena, None, Meter())
    raw = runner.query(sql.report_sql(table, athena.spec.periods, athena.spec.tags))
    assert len(raw) > 1000  # GetQueryResults returns at most 1000 rows a page


def test_months_without_data_are_reported(live: Any) -> None:
    report = build_report(live, months=14, by="env", source="cur")
    assert len(report.missing_periods) == 2
    assert report.missing_periods == list(report.spec.periods[:2])
    assert "no data for" in " ".join(report.notes())


def test_member_account_is_denied_cost_explorer_in_one_line(alice: Any) -> None:
    client = alice.client("ce", env="dev", retries=1)
    spec = make_spec(months=0, by="env", source="ce")
    with pytest.raises(AuthError) as caught:
        CostExplorer(client, None, Meter(), "222222222222@sandbox").report(spec)
    message = str(caught.value)
    assert "\n" not in message and "AccessDeniedException" in message and "Cost Explorer" in message


def test_month_to_date_is_cached_for_the_tui(live: Any, reports: dict[str, Any]) -> None:
    mtd = month_to_date(live)
    assert mtd is not None
    assert mtd == pytest.approx(reports["athena"].month_to_date(), abs=0.01)
    assert list(mtd)[:3] == ["dev", "stage", "prod"]
    assert refresh_month_to_date(live) == pytest.approx(mtd, abs=0.01)  # one-month CUR read


def run(sandbox_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(sandbox_env, "costs", *args)


def test_cli_json_is_pure_and_costs_go_to_stderr(sandbox_env: dict[str, str]) -> None:
    done = run(sandbox_env, "--source", "ce", "--months", "2", "--by", "env", "--output", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["source"] == "ce" and len(document["periods"]) == 3
    assert len(document["complete_periods"]) == 2  # --months counts complete months
    assert "Cost Explorer:" in done.stderr and "$0.01 each" in done.stderr


@pytest.mark.parametrize(
    ("source", "fmt", "marker", "said"),
    [("cur", "html", "<svg", "CUR: 3 parquet files"), ("athena", "csv", "period,env", "Athena: ")],
)
def test_cli_outputs(
    sandbox_env: dict[str, str], source: str, fmt: str, marker: str, said: str
) -> None:
    by = "env,service,tag:team"
    done = run(sandbox_env, "--source", source, "--months", "2", "--by", by, "-o", fmt)
    assert done.returncode == 0, done.stderr
    assert marker in done.stdout
    assert said in done.stderr


def test_cli_bad_breakdown_is_a_usage_error(sandbox_env: dict[str, str]) -> None:
    done = run(sandbox_env, "--by", "env,colour")
    assert done.returncode == 2
    assert (
        done.stderr.strip().splitlines()[-1].startswith("opskit: --by: unknown breakdown 'colour'")
    )
