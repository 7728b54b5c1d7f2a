"""Cost Explorer for the sandbox, answering from the same line items as the CUR parquet.

moto's own Cost Explorer only replays canned answers matched on the exact request body,
and has no forecast. Here ``GetCostAndUsage`` filters (And/Or/Not, Dimensions, Tags with
their MatchOptions), groups (at most two GroupBy keys, DIMENSION or TAG), buckets by
DAILY/MONTHLY granularity and returns the requested metrics, paged with a real
``NextPageToken`` (a month's groups may continue on the next page, as in AWS).
``GetCostForecast`` extrapolates the median daily spend on recurring charges of the last
seven days, the run rate opskit's CUR backend uses, so both can be checked against each
other. Only the payer (ops) account may call Cost Explorer, as AWS denies member accounts
by default. The data comes from ``costdata.seed_costs`` (``daily_lines``) via ``install``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import statistics
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sandbox.aws.overrides import AwsApiError, AwsCall, override
from sandbox.billing import athena  # noqa: F401  (registers Athena's overrides too)

log = logging.getLogger(__name__)

PAGE_GROUPS = 50  # groups per page: small, so paging is exercised
# The sandbox's forecast model: the median daily spend of the last week on the record types
# that recur (usage and commitments; not tax, support, credits, refunds or one-off fees).
FORECAST_DAYS = 7
RECURRING_RECORD_TYPES = frozenset(
    {
        "Usage",
        "DiscountedUsage",
        "SavingsPlanCoveredUsage",
        "SavingsPlanNegation",
        "SavingsPlanRecurringFee",
        "SavingsPlanUpfrontFee",
        "Recurring reservation fee",
        "Upfront reservation fee",
    }
)
DIMENSIONS = {
    "LINKED_ACCOUNT": "account",
    "SERVICE": "service",
    "RECORD_TYPE": "record_type",
    "REGION": "region",
    "USAGE_TYPE": "usage_type",
}
METRICS = {
    "UnblendedCost": "unblended",
    "AmortizedCost": "amortized",
    "NetAmortizedCost": "net",
    "NetUnblendedCost": "net_unblended",
    "BlendedCost": "unblended",
    "UsageQuantity": "usage",
    "NormalizedUsageAmount": "usage",
}
# GetCostForecast's reach (AWS: "3 months of DAILY forecasts or 12 months of MONTHLY").
FORECAST_HORIZON_DAYS = {"DAILY": 93, "MONTHLY": 366}
FORECAST_METRICS = {
    "AMORTIZED_COST": "amortized",
    "UNBLENDED_COST": "unblended",
    "NET_AMORTIZED_COST": "net",
    "NET_UNBLENDED_COST": "net_unblended",
    "BLENDED_COST": "unblended",
}


@dataclass
class Bill:
    """The sandbox's bill as Cost Explorer sees it: one row per day and combination."""

    lines: Any  # pandas DataFrame: day (date), dimensions, tag:team, tag:service, metrics
    payer: str
    today: dt.date


_lock = threading.Lock()
_bill: Bill | None = None
_ready = threading.Event()
_ready.set()  # nothing is being built
BUILD_WAIT_SECONDS = 120.0


def install(bill: Bill) -> None:
    global _bill
    with _lock:
        _bill = bill


def install_later(build: Callable[[], Bill]) -> None:
    """Build the bill in a thread (so the sandbox answers sooner); calls wait for it."""

    def run() -> None:
        try:
            install(build())
        except Exception:  # a broken bill must not kill the server; CE says no data
            log.exception("building the Cost Explorer bill failed")
        finally:
            _ready.set()

    _ready.clear()
    threading.Thread(target=run, name="sandbox-ce-bill", daemon=True).start()


def _current(call: AwsCall) -> Bill:
    """The bill, for the payer only (AWS denies member accounts unless the payer opts in)."""
    _ready.wait(BUILD_WAIT_SECONDS)
    bill = _bill
    if bill is None:
        raise AwsApiError("DataUnavailableException", "The sandbox has no cost data yet")
    if call.account_id != bill.payer:
        raise AwsApiError("AccessDeniedException", "User not enabled for cost explorer access")
    return bill


# -- filters ------------------------------------------------------------------------


def _match(column: Any, spec: dict[str, Any], absent_ok: bool) -> Any:
    options = [o.upper() for o in spec.get("MatchOptions") or ["EQUALS"]]
    values = [str(v) for v in spec.get("Values") or []]
    text = column.astype(str)
    if "CASE_INSENSITIVE" in options:
        text, values = text.str.lower(), [v.lower() for v in values]
    if "ABSENT" in options:
        if not absent_ok:
            raise AwsApiError("ValidationException", "MatchOption ABSENT applies to tags only")
        return text == ""
    if "STARTS_WITH" in options:
        return text.map(lambda s: any(s.startswith(v) for v in values))
    if "ENDS_WITH" in options:
        return text.map(lambda s: any(s.endswith(v) for v in values))
    if "CONTAINS" in options:
        return text.map(lambda s: any(v in s for v in values))
    return text.isin(values)


def mask(lines: Any, expression: dict[str, Any] | None) -> Any:
    """Rows of ``lines`` selected by a Cost Explorer filter Expression."""
    import numpy as np

    if not expression:
        return np.ones(len(lines), dtype=bool)
    kinds = [k for k in expression if expression[k] not in (None, [], {})]
    if len(kinds) != 1:
        raise AwsApiError(
            "ValidationException",
            f"an Expression needs exactly one of And, Or, Not, Dimensions, Tags (got {kinds})",
        )
    kind = kinds[0]
    body = expression[kind]
    if kind in ("And", "Or"):
        if len(body) < 2:
            raise AwsApiError("ValidationException", f"{kind} needs at least two expressions")
        parts = [mask(lines, part) for part in body]
        result = parts[0]
        for part in parts[1:]:
            result = (result & part) if kind == "And" else (result | part)
        return result
    if kind == "Not":
        return ~mask(lines, body)
    if kind == "Dimensions":
        column = DIMENSIONS.get(body.get("Key", ""))
        if column is None:
            raise AwsApiError(
                "ValidationException",
                f"dimension {body.get('Key')} is not available in the sandbox",
            )
        return _match(lines[column], body, absent_ok=False)
    if kind == "Tags":
        tag = f"tag:{body.get('Key', '')}"
        column = lines[tag] if tag in lines else lines["account"].map(lambda _: "")
        return _match(column, body, absent_ok=True)
    raise AwsApiError("ValidationException", f"{kind} filters are not available in the sandbox")


# -- GetCostAndUsage ------------------------------------------------------------------


def _dates(period: dict[str, str]) -> tuple[dt.date, dt.date]:
    try:
        start, end = dt.date.fromisoformat(period["Start"]), dt.date.fromisoformat(period["End"])
    except (KeyError, ValueError) as error:
        raise AwsApiError(
            "ValidationException", f"TimePeriod needs Start and End as YYYY-MM-DD: {error}"
        ) from None
    if start >= end:
        raise AwsApiError("ValidationException", "Start date must be before End date")
    return start, end


def buckets(start: dt.date, end: dt.date, granularity: str) -> list[tuple[dt.date, dt.date]]:
    """The result periods between ``start`` and ``end`` (exclusive)."""
    out = []
    cursor = start
    while cursor < end:
        if granularity == "DAILY":
            nxt = cursor + dt.timedelta(days=1)
        else:
            nxt = (cursor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
        out.append((cursor, min(nxt, end)))
        cursor = min(nxt, end)
    return out


def _amount(value: float, metric: str) -> dict[str, str]:
    return {
        "Amount": repr(round(float(value), 10)),
        "Unit": "N/A" if metric in ("UsageQuantity", "NormalizedUsageAmount") else "USD",
    }


def _token(request: dict[str, Any], offset: int) -> str:
    digest = hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()[
        :16
    ]
    return base64.urlsafe_b64encode(json.dumps({"o": offset, "h": digest}).encode()).decode()


def _offset(request: dict[str, Any], token: str | None) -> int:
    if not token:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        if data["h"] == json.loads(base64.urlsafe_b64decode(_token(request, 0).encode()))["h"]:
            return int(data["o"])
    except (ValueError, KeyError, TypeError):
        pass
    raise AwsApiError("ValidationException", "The NextPageToken is invalid for this request")


Entry = tuple[int, "list[str] | None", dict[str, Any]]  # (bucket, group keys, metrics)
_answers: OrderedDict[str, list[Entry]] = OrderedDict()  # recent requests' groups, for paging


def _request_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def _entries(
    bill: Bill, params: dict[str, Any]
) -> tuple[list[Entry], list[tuple[dt.date, dt.date]]]:
    """Every group of a request, bucket by bucket (an empty bucket is one empty entry)."""
    import numpy as np

    start, end = _dates(params.get("TimePeriod") or {})
    granularity = params.get("Granularity") or "DAILY"
    if granularity not in ("DAILY", "MONTHLY"):
        raise AwsApiError("ValidationException", f"Granularity {granularity} is not enabled")
    metrics = params.get("Metrics") or []
    if not metrics or any(m not in METRICS for m in metrics):
        raise AwsApiError("ValidationException", f"Metrics must be some of {', '.join(METRICS)}")
    groups = params.get("GroupBy") or []
    if len(groups) > 2:
        raise AwsApiError("ValidationException", "GroupBy accepts at most 2 group definitions")
    columns: list[tuple[str, str | None]] = []
    for group in groups:
        kind, key = group.get("Type"), str(group.get("Key", ""))
        if kind == "DIMENSION" and key in DIMENSIONS:
            columns.append((DIMENSIONS[key], None))
        elif kind == "TAG":
            columns.append((f"tag:{key}", key))
        else:
            raise AwsApiError("ValidationException", f"cannot group by {kind} {key} in the sandbox")
    periods = buckets(start, end, granularity)
    lines = bill.lines
    days = lines["day"].to_numpy()
    window = (days >= np.datetime64(start)) & (days < np.datetime64(end))
    lines = lines[window & mask(lines, params.get("Filter"))]
    starts = np.array([np.datetime64(b) for b, _ in periods])
    lines = lines.assign(bucket=np.searchsorted(starts, lines["day"].to_numpy(), side="right") - 1)
    for column, _ in columns:
        if column not in lines:
            lines = lines.assign(**{column: ""})
    needed = sorted({METRICS[m] for m in metrics})
    summed = lines.groupby(["bucket", *(c for c, _ in columns)], as_index=False)[needed].sum()
    if columns:
        summed = summed[(summed[needed].abs() > 1e-12).any(axis=1)]
    entries: list[Entry] = []
    seen = set()
    names = list(summed.columns)
    for row in summed.itertuples(index=False, name=None):
        values = dict(zip(names, row, strict=True))
        keys = (
            [f"{k}${values[c]}" if k else str(values[c]) for c, k in columns] if columns else None
        )
        entries.append(
            (int(values["bucket"]), keys, {m: _amount(values[METRICS[m]], m) for m in metrics})
        )
        seen.add(int(values["bucket"]))
    for index in range(len(periods)):
        if index not in seen:
            empty = {m: _amount(0.0, m) for m in metrics}
            entries.append((index, None if not columns else [], {} if columns else empty))
    entries.sort(key=lambda e: e[0])
    return entries, periods


@override("ce", "GetCostAndUsage")
def get_cost_and_usage(call: AwsCall) -> dict[str, Any]:
    bill = _current(call)
    params = dict(call.params)
    token = params.pop("NextPageToken", None)
    offset = _offset(params, token)
    key = _request_key(params)
    with _lock:
        cached = _answers.get(key) if offset else None
    if cached is None:
        entries, _ = _entries(bill, params)
        with _lock:
            _answers[key] = entries
            while len(_answers) > 64:
                _answers.popitem(last=False)
    else:
        entries = cached
    periods = buckets(*_dates(params["TimePeriod"]), params.get("Granularity") or "DAILY")
    grouped = bool(params.get("GroupBy"))
    page = entries[offset : offset + PAGE_GROUPS] if grouped else entries
    results: dict[int, dict[str, Any]] = {}
    for index, keys, values in page:
        b_start, b_end = periods[index]
        result = results.setdefault(
            index,
            {
                "TimePeriod": {"Start": b_start.isoformat(), "End": b_end.isoformat()},
                "Total": {},
                "Groups": [],
                "Estimated": b_end > bill.today.replace(day=1),
            },
        )
        if keys is None:
            result["Total"] = values
        elif keys:
            result["Groups"].append({"Keys": keys, "Metrics": values})
    answer: dict[str, Any] = {
        "GroupDefinitions": [
            {"Type": g["Type"], "Key": g["Key"]} for g in params.get("GroupBy") or []
        ],
        "ResultsByTime": [results[i] for i in sorted(results)],
        "DimensionValueAttributes": [],
    }
    if grouped and offset + PAGE_GROUPS < len(entries):
        answer["NextPageToken"] = _token(params, offset + PAGE_GROUPS)
    return answer


# -- GetCostForecast ------------------------------------------------------------------


@override("ce", "GetCostForecast")
def get_cost_forecast(call: AwsCall) -> dict[str, Any]:
    bill = _current(call)
    params = call.params
    start, end = _dates(params.get("TimePeriod") or {})
    if start < bill.today:
        raise AwsApiError(
            "ValidationException", f"Start date {start} must be on or after today ({bill.today})"
        )
    granularity = str(params.get("Granularity") or "MONTHLY")
    if granularity not in FORECAST_HORIZON_DAYS:
        raise AwsApiError(
            "ValidationException", "GetCostForecast supports only DAILY and MONTHLY granularities"
        )
    if (end - start).days > FORECAST_HORIZON_DAYS[granularity]:
        raise AwsApiError(
            "ValidationException",
            "You can get 3 months of DAILY forecasts or 12 months of MONTHLY forecasts",
        )
    metric = FORECAST_METRICS.get(str(params.get("Metric")))
    if metric is None:
        raise AwsApiError(
            "ValidationException", f"Metric must be one of {', '.join(FORECAST_METRICS)}"
        )
    lines = bill.lines[mask(bill.lines, params.get("Filter"))]
    running = lines[lines["record_type"].isin(RECURRING_RECORD_TYPES)]
    if running.empty:
        raise AwsApiError(
            "DataUnavailableException",
            "Insufficient amount of historical data to generate a forecast",
        )
    per_day = running.groupby(running["day"].dt.date)[metric].sum()
    last = max(per_day.index)
    window = [last - dt.timedelta(days=i) for i in range(FORECAST_DAYS)]
    rate = statistics.median(float(per_day.get(d, 0.0)) for d in window)
    level = int(params.get("PredictionIntervalLevel") or 80)
    spread = 0.05 + (level - 50) / 1000
    results = []
    total = 0.0
    for b_start, b_end in buckets(start, end, granularity):
        mean = rate * (b_end - b_start).days
        total += mean
        results.append(
            {
                "TimePeriod": {"Start": b_start.isoformat(), "End": b_end.isoformat()},
                "MeanValue": repr(round(mean, 10)),
                "PredictionIntervalLowerBound": repr(round(mean * (1 - spread), 10)),
                "PredictionIntervalUpperBound": repr(round(mean * (1 + spread), 10)),
            }
        )
    return {
        "Total": {"Amount": repr(round(total, 10)), "Unit": "USD"},
        "ForecastResultsByTime": results,
    }
