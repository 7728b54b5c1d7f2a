"""The CloudWatch gateway: GetMetricData, 500 queries a call, every page.

A dashboard's whole utilization (clusters, services, hosts of one account) fits in one or
two calls this way, against one GetMetricStatistics call per metric the naive way.
Results of one query may span pages (NextToken); they are merged by query id.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from opskit.aws.errors import translate

if TYPE_CHECKING:
    from types_boto3_cloudwatch import CloudWatchClient
    from types_boto3_cloudwatch.type_defs import MetricDataQueryTypeDef

QUERIES_PER_CALL = 500

Points = tuple[list[dt.datetime], list[float]]


def metric_query(
    query_id: str,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    *,
    period: int,
    stat: str = "Average",
) -> MetricDataQueryTypeDef:
    """One MetricDataQuery (ids must start with a lower-case letter)."""
    return {
        "Id": query_id,
        "MetricStat": {
            "Metric": {
                "Namespace": namespace,
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            },
            "Period": period,
            "Stat": stat,
        },
        "ReturnData": True,
    }


class MetricsReader:
    """GetMetricData on one CloudWatch client (one account and region)."""

    def __init__(self, client: CloudWatchClient, where: str) -> None:
        self.client = client
        self.where = where

    def get(
        self, queries: Sequence[MetricDataQueryTypeDef], start: dt.datetime, end: dt.datetime
    ) -> dict[str, Points]:
        """Up to 500 queries in one call (plus continuation pages): id -> (times, values)."""
        if len(queries) > QUERIES_PER_CALL:
            raise ValueError(f"at most {QUERIES_PER_CALL} queries per GetMetricData call")
        out: dict[str, Points] = {}
        params: dict[str, Any] = {
            "MetricDataQueries": list(queries),
            "StartTime": start,
            "EndTime": end,
            "ScanBy": "TimestampAscending",
        }
        try:
            while True:
                answer = self.client.get_metric_data(**params)
                for result in answer.get("MetricDataResults", []):
                    times, values = out.setdefault(result["Id"], ([], []))
                    times.extend(result.get("Timestamps", []))
                    values.extend(result.get("Values", []))
                token = answer.get("NextToken")
                if not token:
                    return out
                params["NextToken"] = token
        except Exception as error:
            raise translate(error, f"{self.where}: CloudWatch GetMetricData") from None


def alarms_in_alarm(client: CloudWatchClient, cluster: str, service: str) -> list[str]:
    """Names of the metric alarms on this ECS service (dimensions ClusterName and
    ServiceName) that are in ALARM now (DescribeAlarms, every page)."""
    found: list[str] = []
    try:
        pages = client.get_paginator("describe_alarms").paginate(
            StateValue="ALARM", AlarmTypes=["MetricAlarm"]
        )
        for page in pages:
            for alarm in page.get("MetricAlarms", []):
                dims = {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}
                ours = dims.get("ClusterName") in (None, cluster)
                if dims.get("ServiceName") == service and ours:
                    found.append(str(alarm["AlarmName"]))
    except Exception as error:
        raise translate(error, "CloudWatch DescribeAlarms") from None
    return found
