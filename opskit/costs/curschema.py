"""The CUR 2.0 columns a report reads, and the raw aggregate both CUR backends produce.

The CUR (pyarrow) and Athena (SQL) backends both reduce the bill to the same "raw" rows:
``period, account, line_type, product, reservation, tag:…`` with summed ``unblended``,
``amortized`` and ``net``; ``frame.tidy`` turns those into the report's tidy frame.
"""

from __future__ import annotations

import re

from opskit.costs.amortize import needed_columns

PERIOD_COLUMN = "billing_period"  # the partition (Athena's name; the folder says BILLING_PERIOD)
ACCOUNT = "line_item_usage_account_id"
LINE_TYPE = "line_item_line_item_type"
PRODUCT_CODE = "line_item_product_code"
UNBLENDED = "line_item_unblended_cost"
RESERVATION_ARN = "reservation_reservation_a_r_n"
USAGE_START = "line_item_usage_start_date"
RESOURCE_TAGS = "resource_tags"
PRODUCT_MAP = "product"

RAW_KEYS = ("account", "line_type", "product", "reservation")
RAW_METRICS = ("unblended", "amortized", "net")


def tag_map_key(tag: str) -> str:
    """The key of a user tag in CUR 2.0's ``resource_tags`` map (``team`` -> ``user_team``)."""
    return "user_" + re.sub(r"[^A-Za-z0-9_]", "_", tag)


def report_columns(tags: bool) -> list[str]:
    """The CUR columns a report reads (partition column excluded)."""
    columns = {ACCOUNT, LINE_TYPE, PRODUCT_CODE, UNBLENDED, *needed_columns()}
    if tags:
        columns.add(RESOURCE_TAGS)
    return sorted(columns)
