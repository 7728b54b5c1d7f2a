"""The Athena backend: the report's SQL run in Athena (start, poll, page through results).

For a bill that has outgrown one machine. The SQL (``sql.py``) prunes partitions and
columns; the workgroup, catalog, database, table and result location come from
``[costs.athena]``. Polling backs off from ``poll_seconds``; a query that outlives
``timeout_seconds`` is stopped. Results are read with the ``get_query_results`` paginator
(the first row of a SELECT is its header) and typed from the result metadata. Bytes scanned
are metered ($5/TB) and results cached like Cost Explorer answers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opskit.aws.athena import AthenaQueries
from opskit.aws.errors import translate
from opskit.config.costs_section import AthenaSettings
from opskit.costs import sql
from opskit.costs.cache import DiskCache
from opskit.costs.labels import known_product_code
from opskit.costs.meter import Meter
from opskit.costs.spec import ReportSpec, period_of
from opskit.errors import AwsError

if TYPE_CHECKING:
    import pandas as pd
    from types_boto3_athena import AthenaClient

_DONE = {"SUCCEEDED", "FAILED", "CANCELLED"}
_FLOAT = {"double", "float", "real", "decimal"}
_INT = {"bigint", "integer", "int", "smallint", "tinyint"}


class Athena:
    """Runs SQL through one Athena client (the ops account's)."""

    def __init__(
        self,
        client: AthenaClient,
        settings: AthenaSettings,
        cache: DiskCache | None,
        meter: Meter,
        refresh: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings, self.cache, self.meter = settings, cache, meter
        self.refresh, self.sleep, self.clock = refresh, sleep, clock
        self.where = f"Athena (workgroup {settings.workgroup}, ops account)"
        self.athena = AthenaQueries(client, self.where)

    def query(self, sql: str) -> pd.DataFrame:
        """The typed result of one query."""
        return self.queries([sql])[0]

    def queries(self, sqls: list[str]) -> list[pd.DataFrame]:
        """Typed results of several queries, run side by side (cached ones not rerun)."""
        import pandas as pd

        results: list[pd.DataFrame | None] = [None] * len(sqls)
        keys = [{"athena": self.settings.model_dump(), "sql": sql} for sql in sqls]
        pending: dict[int, str] = {}
        try:
            for index, sql in enumerate(sqls):
                cached = self.cache.get(keys[index], self.refresh) if self.cache else None
                if cached is not None:
                    self.meter.athena_cached += 1
                    results[index] = pd.DataFrame(cached["rows"], columns=cached["columns"])
                else:
                    pending[index] = self._start(sql)
            self._wait(list(pending.values()))
            for index, execution_id in pending.items():
                columns, rows = self._results(execution_id)
                if self.cache is not None:
                    self.cache.put(keys[index], {"columns": columns, "rows": rows})
                results[index] = pd.DataFrame(rows, columns=columns)
        except AwsError:
            raise
        except Exception as error:
            raise translate(error, self.where) from error
        return [r if r is not None else pd.DataFrame() for r in results]

    def _start(self, sql: str) -> str:
        settings = self.settings
        return self.athena.start(
            sql,
            catalog=settings.catalog,
            database=settings.database,
            workgroup=settings.workgroup,
            output=settings.output_location,
        )

    def _wait(self, execution_ids: list[str]) -> None:
        """Poll until every query has finished, backing off; stop them all on timeout."""
        deadline = self.clock() + self.settings.timeout_seconds
        delay = self.settings.poll_seconds
        waiting = list(execution_ids)
        while waiting:
            for execution_id in list(waiting):
                execution = self.athena.execution(execution_id)
                status = execution.get("Status", {})
                if status.get("State") not in _DONE:
                    continue
                waiting.remove(execution_id)
                self.meter.athena(int(execution.get("Statistics", {}).get("DataScannedInBytes", 0)))
                if status["State"] != "SUCCEEDED":
                    reason = " ".join(
                        str(status.get("StateChangeReason", "no reason given")).split()
                    )
                    raise AwsError(
                        f"{self.where}: query {execution_id} {status['State']}: {reason}"
                    )
            if not waiting:
                return
            if self.clock() >= deadline:
                for execution_id in waiting:
                    self.athena.stop(execution_id)
                limit = f"{self.settings.timeout_seconds:g} s"
                raise AwsError(
                    f"{self.where}: {len(waiting)} query(ies) still running after {limit}; stopped"
                )
            self.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    def _results(self, execution_id: str) -> tuple[list[str], list[list[Any]]]:
        columns: list[str] = []
        types: list[str] = []
        rows: list[list[Any]] = []
        first = True
        for result in self.athena.results(execution_id):
            if not columns:
                info = result.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                columns = [c["Name"] for c in info]
                types = [c.get("Type", "varchar").lower() for c in info]
            for raw in result.get("Rows", []):
                values = [d.get("VarCharValue") for d in raw.get("Data", [])]
                if first:
                    first = False
                    if values == columns:  # a SELECT's first row is its header
                        continue
                rows.append([_typed(v, t) for v, t in zip(values, types, strict=False)])
        return columns, rows


def _typed(value: str | None, kind: str) -> Any:
    if value is None:
        return None
    base = kind.split("(")[0]
    if base in _FLOAT:
        return float(value)
    if base in _INT:
        return int(value)
    if base == "boolean":
        return value.lower() == "true"
    return value


def athena_aggregates(
    client: AthenaClient,
    settings: AthenaSettings,
    spec: ReportSpec,
    since: dt.date,
    meter: Meter,
    cache: DiskCache | None,
    refresh: bool = False,
    daily_tags: tuple[str, ...] = (),
) -> tuple[pd.DataFrame, pd.DataFrame | None, dict[str, str]]:
    """The report's raw monthly and daily aggregates (by ``daily_tags``), and Marketplace
    product names."""
    runner = Athena(client, settings, cache, meter, refresh)
    table = sql.table_name(settings.database, settings.table)
    recent = [p for p in spec.periods if p >= period_of(since)]
    queries = [sql.report_sql(table, spec.periods, spec.tags)]
    if recent:
        queries.append(sql.daily_sql(table, recent, since, tags=daily_tags))
    answers = runner.queries(queries)
    raw, daily = answers[0], (answers[1] if recent else None)
    codes = {str(c) for c in raw["product"].unique()} if not raw.empty else set()
    unknown = sorted(c for c in codes if c and not known_product_code(c))
    if not unknown:
        return raw, daily, {}
    latest = str(raw.loc[raw["product"].isin(unknown), "period"].max())
    named = runner.query(sql.product_names_sql(table, latest, unknown))
    pairs = zip(named["code"], named["name"], strict=True)
    return raw, daily, {str(code): str(name) for code, name in pairs if name}
