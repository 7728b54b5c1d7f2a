"""The Athena runner: start, poll with back-off, page through results, fail and time out."""

from __future__ import annotations

from typing import Any, cast

import pytest

from opskit.config.costs_section import AthenaSettings
from opskit.costs.athena import Athena
from opskit.costs.meter import Meter
from opskit.errors import AwsError


class FakeAthena:
    """States advance one step per poll; results come in pages of two rows."""

    def __init__(self, states: list[str], reason: str = "") -> None:
        self.states, self.reason = states, reason
        self.started: list[dict[str, Any]] = []
        self.polls = 0
        self.stopped: list[str] = []
        self.page_tokens: list[str | None] = []

    def start_query_execution(self, **params: Any) -> dict[str, Any]:
        self.started.append(params)
        return {"QueryExecutionId": f"q{len(self.started)}"}

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        state = self.states[min(self.polls, len(self.states) - 1)]
        self.polls += 1
        status = {"State": state, "StateChangeReason": self.reason}
        return {"QueryExecution": {"Status": status, "Statistics": {"DataScannedInBytes": 2048}}}

    def stop_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        self.stopped.append(QueryExecutionId)
        return {}

    def get_paginator(self, name: str) -> Any:
        assert name == "get_query_results"
        rows: list[list[str | None]] = [
            ["account", "amount", "flag"],
            ["111", "1.5", "true"],
            ["222", None, "false"],
            ["333", "2", "true"],
        ]
        info = [{"Name": "account", "Type": "varchar"}, {"Name": "amount", "Type": "double"},
                {"Name": "flag", "Type": "boolean"}]  # fmt: skip
        fake = self

        class Pages:
            def paginate(self, **kwargs: Any) -> Any:
                assert kwargs["PaginationConfig"]["PageSize"] <= 1000
                for start in range(0, len(rows), 2):
                    fake.page_tokens.append(str(start) if start else None)
                    data = [
                        {"Data": [{} if v is None else {"VarCharValue": v} for v in row]}
                        for row in rows[start : start + 2]
                    ]
                    yield {"ResultSet": {"Rows": data, "ResultSetMetadata": {"ColumnInfo": info}}}

        return Pages()


def runner(client: FakeAthena, **settings: Any) -> tuple[Athena, list[float]]:
    sleeps: list[float] = []
    clock = iter(range(0, 10_000))
    options = AthenaSettings(output_location="s3://bucket/out/", poll_seconds=0.5, **settings)
    return Athena(
        cast("Any", client), options, None, Meter(), sleep=sleeps.append, clock=lambda: next(clock)
    ), sleeps


def test_start_poll_and_page_through_typed_results() -> None:
    client = FakeAthena(["QUEUED", "RUNNING", "RUNNING", "SUCCEEDED"])
    athena, sleeps = runner(client, workgroup="costs", database="billing", table="cur")
    frame = athena.query("SELECT 1")
    started = client.started[0]
    assert started["WorkGroup"] == "costs"
    assert started["QueryExecutionContext"] == {"Catalog": "AwsDataCatalog", "Database": "billing"}
    assert started["ResultConfiguration"] == {"OutputLocation": "s3://bucket/out/"}
    assert sleeps == [0.5, 0.75, 1.125]  # backs off between polls
    assert client.page_tokens == [None, "2"]  # both pages, header row dropped once
    assert list(frame["account"]) == ["111", "222", "333"]
    assert list(frame["flag"]) == [True, False, True]
    assert frame["amount"].tolist()[::2] == [1.5, 2.0] and frame["amount"].isna().tolist()[1]
    assert athena.meter.athena_scanned == 2048
    assert athena.meter.athena_billed == 10 * 1024 * 1024  # the 10 MB minimum


def test_a_failed_query_is_one_line_with_athenas_reason() -> None:
    athena, _ = runner(FakeAthena(["RUNNING", "FAILED"], reason="COLUMN_NOT_FOUND:\n line 3: x"))
    with pytest.raises(AwsError) as caught:
        athena.query("SELECT x")
    assert "FAILED: COLUMN_NOT_FOUND: line 3: x" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_query_past_its_timeout_is_stopped() -> None:
    client = FakeAthena(["RUNNING"])
    athena, _ = runner(client, timeout_seconds=5)
    with pytest.raises(AwsError, match="still running after 5 s"):
        athena.query("SELECT slow")
    assert client.stopped == ["q1"]
