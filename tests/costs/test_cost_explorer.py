"""The Cost Explorer backend: planning within two GroupBys, every page, price, cache, denial.

The sandbox's Cost Explorer handlers run in-process here (no HTTP) over the generated bill,
with small pages, so paging and planning are exercised hard and fast; the live sandbox
tests repeat the comparison over HTTP.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError
from costs_support import TODAY

from opskit.costs import ce_plan
from opskit.costs.cache import DiskCache
from opskit.costs.ce import CostExplorer
from opskit.costs.frame import tidy
from opskit.costs.meter import Meter
from opskit.costs.spec import make_spec
from opskit.errors import AuthError, AwsError

PAYER = "111111111111"


class SimClient:
    """A boto3-like CE client answered by the sandbox's handlers, counting calls."""

    def __init__(self, account: str = PAYER) -> None:
        self.account = account
        self.calls: list[dict[str, Any]] = []

    def _call(self, handler: Callable[[Any], Any], params: dict[str, Any]) -> dict[str, Any]:
        from sandbox.aws.overrides import AwsApiError

        self.calls.append(params)
        try:
            return dict(handler(SimpleNamespace(params=params, account_id=self.account)))
        except AwsApiError as error:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": error.code, "Message": error.message}}, "Op"
            ) from None

    def get_cost_and_usage(self, **params: Any) -> dict[str, Any]:
        from sandbox.billing.cost_explorer import get_cost_and_usage

        return self._call(get_cost_and_usage, params)

    def get_cost_forecast(self, **params: Any) -> dict[str, Any]:
        from sandbox.billing.cost_explorer import get_cost_forecast

        return self._call(get_cost_forecast, params)


@pytest.fixture(scope="module")
def sim_bill(repo_config: Any) -> Iterator[None]:
    from sandbox.billing import cost_explorer, costdata

    spec = costdata.bill_spec(repo_config, today=TODAY)
    tables = [t for _, t in costdata.generate(spec)]
    cost_explorer.install(cost_explorer.Bill(costdata.daily_lines(tables), PAYER, TODAY))
    patch = pytest.MonkeyPatch()
    patch.setattr(cost_explorer, "PAGE_GROUPS", 7)  # many pages
    yield
    patch.undo()


def test_groups_are_planned_lowest_cardinality_first() -> None:
    spec = make_spec(months=1, by="tag:team,service,env", source="ce", today=TODAY)
    groups = ce_plan.groups_for(spec)
    assert [g.key for g in groups] == ["LINKED_ACCOUNT", "RECORD_TYPE", "SERVICE", "team"]
    with pytest.raises(ValueError):
        ce_plan.usage_request(spec, groups, None)
    request = ce_plan.usage_request(spec, groups[2:], ce_plan.ACCOUNT_GROUP.only("1"))
    assert request["GroupBy"] == [
        {"Type": "DIMENSION", "Key": "SERVICE"},
        {"Type": "TAG", "Key": "team"},
    ]
    assert request["TimePeriod"] == {"Start": "2025-10-01", "End": "2025-11-27"}
    assert ce_plan.combine(None, {"A": 1}) == {"A": 1}
    assert ce_plan.combine({"And": [{"A": 1}, {"B": 2}]}, {"C": 3}) == {
        "And": [{"A": 1}, {"B": 2}, {"C": 3}]
    }
    assert ce_plan.forecast_request("1", dt.date(2025, 11, 30)) is None
    assert ce_plan.Group("TAG", "team").value("team$") == ""


class PagedClient:
    """Three pages; the same month continues across pages, as AWS does."""

    def __init__(self) -> None:
        self.tokens: list[str | None] = []

    def get_cost_and_usage(self, **params: Any) -> dict[str, Any]:
        token = params.get("NextPageToken")
        self.tokens.append(token)
        page = {None: 0, "t1": 1, "t2": 2}[token]
        month = {"TimePeriod": {"Start": "2025-10-01", "End": "2025-11-01"}}
        amount = {m: {"Amount": str(page + 1), "Unit": "USD"} for m in ce_plan.API_METRICS.values()}
        group = {"Keys": [f"22222222222{page}", "Usage"], "Metrics": amount}
        answer: dict[str, Any] = {"ResultsByTime": [{**month, "Groups": [group]}]}
        if page < 2:
            answer["NextPageToken"] = f"t{page + 1}"
        return answer


def test_every_page_is_read_and_counted(tmp_path: Path) -> None:
    client, meter = PagedClient(), Meter()
    spec = make_spec(months=1, by="env", source="ce", today=TODAY)
    ce = CostExplorer(cast("Any", client), DiskCache(tmp_path, 6), meter, "test")
    rows = ce.rows(spec, ce_plan.groups_for(spec), None, {})
    assert client.tokens == [None, "t1", "t2"]
    assert [r["amortized"] for r in rows] == [1.0, 2.0, 3.0]
    assert meter.ce_requests == 3 and meter.ce_price == pytest.approx(0.03)
    again = CostExplorer(cast("Any", client), DiskCache(tmp_path, 6), meter, "test").rows(
        spec, ce_plan.groups_for(spec), None, {}
    )
    assert again == rows and meter.ce_requests == 3 and meter.ce_cached == 3
    assert "3 requests ($0.03" in meter.lines()[0]


def test_a_token_that_repeats_stops_with_an_error() -> None:
    class Loop:
        def get_cost_and_usage(self, **params: Any) -> dict[str, Any]:
            return {"ResultsByTime": [], "NextPageToken": "same"}

    spec = make_spec(months=0, by="env", source="ce", today=TODAY)
    with pytest.raises(AwsError, match="pagination did not end"):
        CostExplorer(cast("Any", Loop()), None, Meter(), "test").rows(
            spec, ce_plan.groups_for(spec), None, {}
        )


def test_denied_cost_explorer_is_one_clear_line(sim_bill: None) -> None:
    spec = make_spec(months=0, by="env", source="ce", today=TODAY)
    ce = CostExplorer(
        cast("Any", SimClient(account="222222222222")), None, Meter(), "111111111111@test"
    )
    with pytest.raises(AuthError) as caught:
        ce.report(spec)
    message = str(caught.value)
    assert "\n" not in message
    assert "Cost Explorer" in message and "denied" in message and "AccessDeniedException" in message


@pytest.mark.parametrize("by", ["env", "env,service", "env,service,tag:team"])
def test_cost_explorer_agrees_with_cur_on_the_same_bill(
    sim_bill: None, generated_bill: Path, workspace_for: Callable[..., Any], by: str
) -> None:
    from opskit.costs import build_report

    ws = workspace_for(generated_bill)
    cur = build_report(ws, months=12, by=by, today=TODAY).frame
    spec = make_spec(months=12, by=by, source="ce", today=TODAY)
    client, meter = SimClient(), Meter()
    frame = tidy(
        CostExplorer(cast("Any", client), None, meter, "test").report(spec),
        spec,
        ws.config.env_for_account,
    )
    keys = [c for c in cur.columns if c not in ("unblended", "amortized", "net")]
    ours, theirs = frame.set_index(keys).sort_index(), cur.set_index(keys).sort_index()
    assert list(ours.index) == list(theirs.index)
    for metric in ("unblended", "amortized", "net"):
        assert ours[metric].to_numpy() == pytest.approx(theirs[metric].to_numpy(), abs=1e-6)
    assert all(len(call.get("GroupBy", [])) <= 2 for call in client.calls)
    paged = [c for c in client.calls if "NextPageToken" in c]
    assert paged, "the bill spans several pages"
    assert meter.ce_requests == len(client.calls)


def test_forecast_is_the_run_rate_of_recurring_spend(sim_bill: None) -> None:
    ce = CostExplorer(cast("Any", SimClient()), None, Meter(), "test")
    forecast = ce.forecast(["444444444444", "222222222222"], TODAY)
    assert set(forecast) == {"444444444444", "222222222222"}
    assert forecast["444444444444"] > forecast["222222222222"] > 0


def test_forecast_reach_and_granularity_are_awss(sim_bill: None) -> None:
    """AWS: 3 months of DAILY or 12 months of MONTHLY forecasts, nothing else."""
    client = SimClient()
    start = TODAY + dt.timedelta(days=1)

    def ask(granularity: str, days: int) -> dict[str, Any]:
        end = start + dt.timedelta(days=days)
        period = {"Start": start.isoformat(), "End": end.isoformat()}
        return client.get_cost_forecast(
            TimePeriod=period, Metric="AMORTIZED_COST", Granularity=granularity
        )

    assert len(ask("DAILY", 90)["ForecastResultsByTime"]) == 90
    assert len(ask("MONTHLY", 360)["ForecastResultsByTime"]) >= 12
    for granularity, days in (("DAILY", 120), ("MONTHLY", 500), ("HOURLY", 2)):
        with pytest.raises(ClientError, match="ValidationException"):
            ask(granularity, days)
