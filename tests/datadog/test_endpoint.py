"""The sandbox's Datadog endpoint, over raw HTTP: keys, limits, refusals, monitors, queries."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest
from dd_support import http

from sandbox.aws.backends import moto_backend
from sandbox.datadog.endpoint import API_KEY, APP_KEY, RATE_LIMIT, DatadogEndpoint

MONITOR = {
    "name": "cpu",
    "type": "metric alert",
    "query": "avg(last_5m):avg:aws.ecs.service.cpuutilization{servicename:api} > 80",
    "message": "hot  \n",
    "tags": ["team:web", "env:dev"],
    "options": {"thresholds": {"critical": 80, "warning": 70}},
}


def _with(**changes: Any) -> dict[str, Any]:
    return {**MONITOR, **changes}


@pytest.mark.parametrize(
    ("path", "keys", "status"),
    [
        ("/api/v1/monitor", {}, 403),
        ("/api/v1/monitor", {"DD-API-KEY": API_KEY}, 403),
        ("/api/v1/monitor", {"DD-API-KEY": "wrong", "DD-APPLICATION-KEY": APP_KEY}, 403),
        ("/api/v1/monitor", {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": "wrong"}, 403),
        ("/api/v1/monitor", {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}, 200),
        ("/api/v1/validate", {"DD-API-KEY": API_KEY}, 200),
        ("/api/v1/validate", {"DD-API-KEY": "wrong"}, 403),
    ],
)
def test_keys_are_checked(
    endpoint: DatadogEndpoint, path: str, keys: dict[str, str], status: int
) -> None:
    assert http(endpoint, "GET", path, keys=keys)[0] == status


def test_a_v1_event_needs_only_the_api_key_and_v2_both(endpoint: DatadogEndpoint) -> None:
    event = {"title": "deployed", "text": "api 1.2", "tags": ["env:dev"]}
    assert http(endpoint, "POST", "/api/v1/events", event, {"DD-API-KEY": API_KEY})[0] == 202
    change = {
        "data": {
            "type": "event",
            "attributes": {
                "category": "change",
                "title": "t",
                "attributes": {"changed_resource": {"name": "api", "type": "configuration"}},
            },
        }
    }
    assert http(endpoint, "POST", "/api/v2/events", change, {"DD-API-KEY": API_KEY})[0] == 403
    assert http(endpoint, "POST", "/api/v2/events", change)[0] == 202


@pytest.mark.parametrize(
    ("path", "body", "why"),
    [
        ("/api/v1/events", {"title": "t", "text": "x", "colour": "red"}, "unknown field"),
        ("/api/v1/events", {"title": "t", "text": "x" * 4001}, "length"),
        ("/api/v1/events", {"title": "t", "text": "x", "alert_type": "panic"}, "allowed"),
        ("/api/v1/events", ["not", "an", "object"], "JSON object"),
        (
            "/api/v2/events",
            {
                "data": {
                    "type": "event",
                    "attributes": {
                        "category": "change",
                        "title": "t",
                        "attributes": {"author": {"name": "alice", "type": "user"}},
                    },
                }
            },
            "Invalid body",
        ),
        ("/api/v1/monitor", _with(id=5), "read-only"),
        ("/api/v1/monitor", _with(type="metric alerts"), "allowed"),
        ("/api/v1/monitor", _with(options={"thresholds": {"critical": "high"}}), "type"),
        ("/api/v1/monitor", _with(options={"thresholds": {"critical": 90}}), "does not match"),
        (
            "/api/v1/monitor",
            _with(options={"thresholds": {"critical": 80, "warning": 85}}),
            "Warning threshold",
        ),
        ("/api/v1/monitor", _with(query="avg:cpu{*}"), "query"),
        ("/api/v1/monitor/validate", _with(options={}), "critical"),
    ],
)
def test_bodies_the_client_would_not_produce_are_refused(
    endpoint: DatadogEndpoint, path: str, body: Any, why: str
) -> None:
    status, answer, _ = http(endpoint, "POST", path, body)
    assert status == 400 and why in " ".join(answer["errors"])


def test_monitors_come_back_normalised_like_datadog(endpoint: DatadogEndpoint) -> None:
    status, created, _ = http(endpoint, "POST", "/api/v1/monitor", MONITOR)
    assert status == 200
    assert created["type"] == "query alert" and created["message"] == "hot"
    assert created["query"].endswith("> 80.0")
    assert created["options"]["thresholds"] == {"critical": 80.0, "warning": 70.0}
    status, got, _ = http(endpoint, "GET", f"/api/v1/monitor/{created['id']}")
    assert status == 200 and got == created


def test_monitors_list_search_update_delete(endpoint: DatadogEndpoint) -> None:
    ids = [
        http(endpoint, "POST", "/api/v1/monitor", _with(name=f"m{i}", tags=[f"n:{i}"]))[1]["id"]
        for i in range(3)
    ]
    assert [m["id"] for m in http(endpoint, "GET", "/api/v1/monitor?monitor_tags=n:1")[1]] == [
        ids[1]
    ]
    paged = http(endpoint, "GET", "/api/v1/monitor?page=1&page_size=2")[1]
    assert [m["id"] for m in paged] == [ids[2]]
    found = http(endpoint, "GET", '/api/v1/monitor/search?query=tag:"n:2"')[1]
    assert [m["id"] for m in found["monitors"]] == [ids[2]]
    assert found["metadata"]["total_count"] == 1

    status, updated, _ = http(endpoint, "PUT", f"/api/v1/monitor/{ids[0]}", {"name": "renamed"})
    assert status == 200 and updated["name"] == "renamed" and updated["query"] == paged[0]["query"]
    bad = {"options": {"thresholds": {"critical": 1}}}
    assert http(endpoint, "PUT", f"/api/v1/monitor/{ids[0]}", bad)[0] == 400
    assert http(endpoint, "DELETE", f"/api/v1/monitor/{ids[0]}")[1] == {
        "deleted_monitor_id": ids[0]
    }
    assert http(endpoint, "GET", f"/api/v1/monitor/{ids[0]}")[0] == 404
    assert http(endpoint, "DELETE", f"/api/v1/monitor/{ids[0]}")[0] == 404


def test_every_answer_carries_rate_limit_headers_and_hammering_gets_429(
    endpoint: DatadogEndpoint,
) -> None:
    _, _, headers = http(endpoint, "GET", "/api/v1/monitor")
    assert headers["X-RateLimit-Limit"] == str(RATE_LIMIT) and headers["X-RateLimit-Period"] == "10"
    assert (
        int(headers["X-RateLimit-Remaining"]) < RATE_LIMIT
        and int(headers["X-RateLimit-Reset"]) >= 1
    )
    endpoint.app.limiter.limit = 3
    statuses = [http(endpoint, "GET", "/api/v1/monitor")[0] for _ in range(5)]
    assert statuses.count(429) >= 2 and statuses[0] == 200
    status, answer, headers = http(endpoint, "GET", "/api/v1/monitor")
    assert status == 429 and headers["X-RateLimit-Remaining"] == "0"
    assert "Rate limit" in answer["errors"][0]


def test_a_query_answers_from_the_simulators_cloudwatch_data(endpoint: DatadogEndpoint) -> None:
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    backend = moto_backend("cloudwatch", "222222222222", "eu-west-1")
    dims = [{"Name": "ClusterName", "Value": "dd-test"}, {"Name": "ServiceName", "Value": "api"}]
    for minutes, value in ((3, 10.0), (2, 20.0), (1, 30.0)):
        backend.put_metric_data(
            "AWS/ECS",
            [
                {
                    "MetricName": "CPUUtilization",
                    "Value": value,
                    "Dimensions": dims,
                    "Timestamp": now - dt.timedelta(minutes=minutes),
                }
            ],
        )
    start, end = int(time.time()) - 600, int(time.time())
    query = (
        "avg:aws.ecs.service.cpuutilization{aws_account:222222222222,clustername:dd-test}"
        " by {servicename}.rollup(avg, 60),avg:aws.ecs.cpuutilization{clustername:dd-test}"
    )
    status, answer, _ = http(
        endpoint, "GET", f"/api/v1/query?from={start}&to={end}&query=" + urllib_quote(query)
    )
    assert status == 200 and answer["status"] == "ok"
    [series] = answer["series"]  # the cluster-level query has no data
    assert series["tag_set"] == ["servicename:api"] and series["query_index"] == 0
    assert [v for _, v in series["pointlist"]] == [10.0, 20.0, 30.0]
    assert http(endpoint, "GET", f"/api/v1/query?from={start}&to={end}&query=avg:x")[0] == 400


def urllib_quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
