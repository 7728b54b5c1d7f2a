"""Athena for the sandbox: queries on the CUR table really run (DuckDB over the parquet).

moto's Athena returns canned rows only. For queries whose database is the configured CUR
database (``[costs.athena]``), ``StartQueryExecution`` runs the SQL with DuckDB over the
sandbox's local copy of the CUR parquet (``element_at`` given Athena's map meaning), and the
execution moves QUEUED -> RUNNING -> SUCCEEDED (or FAILED with DuckDB's reason) over the
next polls, so clients must poll. ``GetQueryResults`` pages (MaxResults <= 1000, NextToken;
the first row of a SELECT is its header) with Athena's column types. Bytes scanned are
estimated from parquet metadata: only the partitions and columns the SQL names, so pruning
shows in the bill. A missing output location or workgroup fails as in AWS. Other databases
fall through to moto.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sandbox.aws.overrides import AwsApiError, AwsCall, override

_TYPES = {
    "VARCHAR": "varchar",
    "DOUBLE": "double",
    "BOOLEAN": "boolean",
    "DATE": "date",
    "BIGINT": "bigint",
    "INTEGER": "integer",
    "TIMESTAMP": "timestamp",
    "FLOAT": "float",
    "HUGEINT": "bigint",
}
_FINAL = ("SUCCEEDED", "FAILED", "CANCELLED")


@dataclass
class CurTable:
    """Where the sandbox's CUR table lives."""

    database: str
    table: str
    root: Path
    payer: str


@dataclass
class Execution:
    id: str
    query: str
    database: str
    workgroup: str
    output: str
    outcome: str = "SUCCEEDED"
    reason: str = ""
    polls: int = 0
    cancelled: bool = False
    columns: list[tuple[str, str]] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)
    scanned: int = 0
    submitted: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def state(self) -> str:
        if self.cancelled:
            return "CANCELLED"
        return ("QUEUED", "RUNNING")[self.polls] if self.polls < 2 else self.outcome


_lock = threading.Lock()
_table: CurTable | None = None
_executions: dict[str, Execution] = {}


def install(table: CurTable) -> None:
    global _table
    with _lock:
        _table = table


def _run(table: CurTable, sql: str) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    import duckdb

    con = duckdb.connect()
    try:
        source = (table.root / "**" / "*.parquet").as_posix().replace("'", "''")
        con.execute(f'CREATE SCHEMA "{table.database}"')
        con.execute(
            f'CREATE VIEW "{table.database}"."{table.table}" AS SELECT * FROM '
            f"read_parquet('{source}', hive_partitioning = true, union_by_name = true)"
        )
        con.execute("CREATE MACRO element_at(m, k) AS map_extract(m, k)[1]")
        cursor = con.execute(sql)
        columns = [
            (d[0], _TYPES.get(str(d[1]).split("(")[0].upper(), "varchar"))
            for d in cursor.description or []
        ]
        return columns, [list(r) for r in cursor.fetchall()]
    finally:
        con.close()


def scanned_bytes(root: Path, sql: str) -> int:
    """Compressed bytes of the named columns in the named partitions (all when none named)."""
    import pyarrow.parquet as pq

    files = sorted(root.rglob("*.parquet"))
    periods = set(re.findall(r"'(\d{4}-\d{2})'", sql))
    chosen = [
        f for f in files if any(f"BILLING_PERIOD={p}" in f.as_posix() for p in periods)
    ] or files
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql))
    total = 0
    for path in chosen:
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                chunk = group.column(c)
                if chunk.path_in_schema.split(".")[0] in words:
                    total += chunk.total_compressed_size
    return total


def _value(value: Any, kind: str) -> dict[str, str]:
    if value is None:
        return {}
    if kind == "boolean":
        return {"VarCharValue": "true" if value else "false"}
    if isinstance(value, float):
        return {"VarCharValue": repr(value)}
    if isinstance(value, dt.date):
        return {"VarCharValue": value.isoformat()}
    return {"VarCharValue": str(value)}


@override("athena", "StartQueryExecution")
def start_query_execution(call: AwsCall) -> dict[str, Any] | None:
    table = _table
    context = call.params.get("QueryExecutionContext") or {}
    database = str(context.get("Database", ""))
    if (
        table is None
        or call.account_id != table.payer
        or database.lower() != table.database.lower()
    ):
        return None  # not the CUR table: moto's canned answers
    name = call.params.get("WorkGroup") or "primary"
    group = call.backend().work_groups.get(name)
    if group is None:
        raise AwsApiError("InvalidRequestException", f"WorkGroup {name} is not found.")
    configured = ((group.configuration or {}).get("ResultConfiguration") or {}).get(
        "OutputLocation"
    )
    output = (call.params.get("ResultConfiguration") or {}).get("OutputLocation") or configured
    if not output:
        raise AwsApiError(
            "InvalidRequestException",
            "No output location provided. An output location is required either through the "
            "Workgroup result configuration setting or as an API input.",
        )
    sql = str(call.params.get("QueryString", ""))
    execution = Execution(str(uuid.uuid4()), sql, database, name, output.rstrip("/") + "/")
    try:
        execution.columns, execution.rows = _run(table, sql)
        execution.scanned = scanned_bytes(table.root, sql)
    except ImportError:
        execution.outcome, execution.reason = (
            "FAILED",
            "the sandbox's Athena needs the duckdb package",
        )
    except Exception as error:  # the engine's message is what Athena would show
        execution.outcome, execution.reason = "FAILED", " ".join(str(error).split())[:500]
    with _lock:
        _executions[execution.id] = execution
    return {"QueryExecutionId": execution.id}


def _mine(call: AwsCall) -> Execution | None:
    with _lock:
        return _executions.get(str(call.params.get("QueryExecutionId", "")))


@override("athena", "GetQueryExecution")
def get_query_execution(call: AwsCall) -> dict[str, Any] | None:
    execution = _mine(call)
    if execution is None:
        return None
    with _lock:
        state = execution.state
        execution.polls += 1
    status: dict[str, Any] = {"State": state, "SubmissionDateTime": execution.submitted}
    if state in _FINAL:
        status["CompletionDateTime"] = execution.submitted
    if state == "FAILED":
        status["StateChangeReason"] = execution.reason
    return {
        "QueryExecution": {
            "QueryExecutionId": execution.id,
            "Query": execution.query,
            "StatementType": "DML",
            "ResultConfiguration": {"OutputLocation": f"{execution.output}{execution.id}.csv"},
            "QueryExecutionContext": {"Database": execution.database, "Catalog": "AwsDataCatalog"},
            "Status": status,
            "Statistics": {"DataScannedInBytes": execution.scanned if state == "SUCCEEDED" else 0},
            "WorkGroup": execution.workgroup,
        }
    }


@override("athena", "GetQueryResults")
def get_query_results(call: AwsCall) -> dict[str, Any] | None:
    execution = _mine(call)
    if execution is None:
        return None
    if execution.state != "SUCCEEDED":
        raise AwsApiError(
            "InvalidRequestException",
            f"Query has not yet finished. Current state: {execution.state}",
        )
    size = int(call.params.get("MaxResults") or 1000)
    if not 1 <= size <= 1000:
        raise AwsApiError("InvalidRequestException", "MaxResults must be between 1 and 1000")
    header = [[name for name, _ in execution.columns]]
    everything = header + execution.rows
    token = call.params.get("NextToken")
    offset = int(token) if token and str(token).isdigit() else 0
    page = everything[offset : offset + size]
    kinds = [kind for _, kind in execution.columns]
    rows = [
        {"Data": [{"VarCharValue": str(v)} for v in row]}
        if offset + i == 0
        else {"Data": [_value(v, k) for v, k in zip(row, kinds, strict=True)]}
        for i, row in enumerate(page)
    ]
    info = [
        {
            "CatalogName": "hive",
            "SchemaName": "",
            "TableName": "",
            "Name": n,
            "Label": n,
            "Type": k,
            "Precision": 17 if k == "double" else 0,
            "Scale": 0,
            "Nullable": "UNKNOWN",
            "CaseSensitive": k == "varchar",
        }
        for n, k in execution.columns
    ]
    answer: dict[str, Any] = {
        "UpdateCount": 0,
        "ResultSet": {"Rows": rows, "ResultSetMetadata": {"ColumnInfo": info}},
    }
    if offset + size < len(everything):
        answer["NextToken"] = str(offset + size)
    return answer


@override("athena", "StopQueryExecution")
def stop_query_execution(call: AwsCall) -> dict[str, Any] | None:
    execution = _mine(call)
    if execution is None:
        return None
    with _lock:
        if execution.state not in _FINAL:
            execution.cancelled = True
    return {}
