"""The report as SQL over the CUR 2.0 table (Athena's dialect, Trino), with pruning.

Partition pruning: ``WHERE billing_period IN (…)`` names only the report's months. Column
pruning: the query names only the columns amortization and the breakdown need, so Athena
scans (and bills) a fraction of the table. The amortization ``CASE`` comes from
``amortize.sql_case``, the same rules the CUR backend evaluates with pyarrow. The text also
runs unchanged in DuckDB (the tests do that, over the same parquet) once a one-line macro
gives ``element_at`` Athena's meaning for maps.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable

from opskit.costs import curschema as cs
from opskit.costs.amortize import sql_case
from opskit.costs.spec import TAG_PREFIX

Present = Callable[[str], bool]


def _every_column(_: str) -> bool:
    return True


def literal(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def table_name(database: str, table: str) -> str:
    return f"{ident(database)}.{ident(table)}"


def _keys(tags: Iterable[str]) -> list[str]:
    keys = [
        f"{cs.ACCOUNT} AS account",
        f"{cs.LINE_TYPE} AS line_type",
        f"{cs.PRODUCT_CODE} AS product",
        f"(coalesce({cs.RESERVATION_ARN}, '') <> '') AS reservation",
    ]
    for tag in tags:
        lookup = f"element_at({cs.RESOURCE_TAGS}, {literal(cs.tag_map_key(tag))})"
        keys.append(f"coalesce({lookup}, '') AS {ident(TAG_PREFIX + tag)}")
    return keys


def _metrics(present: Present) -> list[str]:
    indent = "\n    "
    return [
        f"sum({cs.UNBLENDED}) AS unblended",
        f"sum({sql_case('amortized', present).replace(chr(10), indent)}) AS amortized",
        f"sum({sql_case('net', present).replace(chr(10), indent)}) AS net",
    ]


def _in(periods: Iterable[str]) -> str:
    return ", ".join(literal(p) for p in periods)


def report_sql(
    table: str, periods: Iterable[str], tags: Iterable[str], present: Present = _every_column
) -> str:
    """Sums per period, account, line type, product, reservation flag and tag values.

    ``present`` says which columns exist; CUR 2.0's schema is fixed, so by default all do.
    """
    keys = [f"{cs.PERIOD_COLUMN} AS period", *_keys(tags)]
    select = ",\n  ".join([*keys, *_metrics(present)])
    groups = ", ".join(str(i) for i in range(1, len(keys) + 1))
    return (
        f"SELECT\n  {select}\nFROM {table}\n"
        f"WHERE {cs.PERIOD_COLUMN} IN ({_in(periods)})\nGROUP BY {groups}"
    )


def daily_sql(
    table: str,
    periods: Iterable[str],
    since: dt.date,
    present: Present = _every_column,
    tags: Iterable[str] = (),
) -> str:
    """Sums per day since ``since`` (for the run-rate forecast and, by ``tags``, the join
    with the journal), in the given partitions."""
    keys = [f"CAST({cs.USAGE_START} AS date) AS day", *_keys(tags)]
    select = ",\n  ".join([*keys, *_metrics(present)])
    groups = ", ".join(str(i) for i in range(1, len(keys) + 1))
    return (
        f"SELECT\n  {select}\nFROM {table}\n"
        f"WHERE {cs.PERIOD_COLUMN} IN ({_in(periods)})\n"
        f"  AND {cs.USAGE_START} >= TIMESTAMP {literal(since.isoformat() + ' 00:00:00')}\n"
        f"GROUP BY {groups}"
    )


def product_names_sql(table: str, period: str, codes: Iterable[str]) -> str:
    """Names of products the label table doesn't know (Marketplace), from one partition."""
    return (
        f"SELECT {cs.PRODUCT_CODE} AS code, "
        f"min(element_at({cs.PRODUCT_MAP}, 'product_name')) AS name\nFROM {table}\n"
        f"WHERE {cs.PERIOD_COLUMN} = {literal(period)} AND {cs.PRODUCT_CODE} IN ({_in(codes)})\n"
        f"GROUP BY 1"
    )
