"""The Athena gateway: start a query, read its execution, stop it, page through its results.

Polling, timeouts, caching and typing the values are the cost reader's business; this
module only makes the calls. Result pages ask for Athena's largest page (1,000 rows).
Failures become one-line ``OpskitError``s naming the workgroup (``where``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opskit.aws.errors import translate

if TYPE_CHECKING:
    from types_boto3_athena import AthenaClient
    from types_boto3_athena.type_defs import QueryExecutionTypeDef, ResultSetTypeDef

RESULTS_PAGE = 1000


class AthenaQueries:
    """Query calls on one Athena client (the ops account's)."""

    def __init__(self, client: AthenaClient, where: str) -> None:
        self.client = client
        self.where = where

    def start(
        self, sql: str, *, catalog: str, database: str, workgroup: str, output: str | None
    ) -> str:
        """StartQueryExecution; the execution id."""
        params: dict[str, Any] = {
            "QueryString": sql,
            "QueryExecutionContext": {"Catalog": catalog, "Database": database},
            "WorkGroup": workgroup,
        }
        if output:
            params["ResultConfiguration"] = {"OutputLocation": output}
        try:
            return str(self.client.start_query_execution(**params)["QueryExecutionId"])
        except Exception as error:
            raise translate(error, self.where) from error

    def execution(self, execution_id: str) -> QueryExecutionTypeDef:
        """GetQueryExecution: state, reason, statistics."""
        try:
            return self.client.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        except Exception as error:
            raise translate(error, self.where) from error

    def stop(self, execution_id: str) -> None:
        """StopQueryExecution."""
        try:
            self.client.stop_query_execution(QueryExecutionId=execution_id)
        except Exception as error:
            raise translate(error, self.where) from error

    def results(self, execution_id: str) -> list[ResultSetTypeDef]:
        """Every page of a finished query's result set."""
        try:
            pages = self.client.get_paginator("get_query_results").paginate(
                QueryExecutionId=execution_id, PaginationConfig={"PageSize": RESULTS_PAGE}
            )
            return [page["ResultSet"] for page in pages]
        except Exception as error:
            raise translate(error, self.where) from error
