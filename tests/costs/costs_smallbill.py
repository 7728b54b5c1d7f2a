"""A hand-made CUR 2.0 bill of 19 lines, with every total worked out by hand below.

Accounts: ops 111111111111 (payer), dev 222222222222, prod 444444444444 and 999999999999,
which the config does not know ("unmapped"). Months: 2025-01 and 2025-02; a report up to
2025-03 finds 2025-03 missing. Only the columns a report reads are present (net columns
only on some lines), which also proves absent or empty columns fall back as documented.

Hand-computed ground truth (USD):

2025-01  amortized: dev 100+20-30 = 90; prod 36+0+30-10+8 = 64;
                    ops 4+0+8+0+100+50 = 162; unmapped 12
         unblended: dev 90; prod 50-50+0-10+8 = -2; ops 20+240+60+500+100+50 = 970; unmapped 12
         net:       dev 95+20-30 = 85; prod 36+0+28-10+8 = 62; ops 162; unmapped 12
2025-02  amortized = unblended: dev 120, prod 80, ops 110, unmapped 12; net dev 114.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

DEV, PROD, OPS, STRANGER = "222222222222", "444444444444", "111111111111", "999999999999"
ARN = "arn:aws:ec2:eu-west-1:111111111111:reserved-instances/abc"

# (period, account, line type, product, unblended, extra columns, tags)
LINES: list[tuple[str, str, str, str, float, dict[str, Any], dict[str, str]]] = [
    (
        "2025-01",
        DEV,
        "Usage",
        "AmazonEC2",
        100.0,
        {"line_item_net_unblended_cost": 95.0},
        {"team": "api"},
    ),
    ("2025-01", DEV, "Usage", "AmazonS3", 20.0, {}, {}),
    (
        "2025-01",
        PROD,
        "SavingsPlanCoveredUsage",
        "AmazonEC2",
        50.0,
        {"savings_plan_savings_plan_effective_cost": 36.0},
        {"team": "app"},
    ),
    ("2025-01", PROD, "SavingsPlanNegation", "AmazonEC2", -50.0, {}, {"team": "app"}),
    (
        "2025-01",
        OPS,
        "SavingsPlanRecurringFee",
        "ComputeSavingsPlans",
        20.0,
        {"savings_plan_total_commitment_to_date": 40.0, "savings_plan_used_commitment": 36.0},
        {},
    ),
    ("2025-01", OPS, "SavingsPlanUpfrontFee", "ComputeSavingsPlans", 240.0, {}, {}),
    (
        "2025-01",
        PROD,
        "DiscountedUsage",
        "AmazonEC2",
        0.0,
        {
            "reservation_effective_cost": 30.0,
            "reservation_net_effective_cost": 28.0,
            "reservation_reservation_a_r_n": ARN,
        },
        {"team": "app"},
    ),
    (
        "2025-01",
        OPS,
        "RIFee",
        "AmazonEC2",
        60.0,
        {
            "reservation_unused_amortized_upfront_fee_for_billing_period": 5.0,
            "reservation_unused_recurring_fee": 3.0,
            "reservation_reservation_a_r_n": ARN,
        },
        {},
    ),
    ("2025-01", OPS, "Fee", "AmazonEC2", 500.0, {"reservation_reservation_a_r_n": ARN}, {}),
    ("2025-01", OPS, "Fee", "AWSSupportBusiness", 100.0, {}, {}),
    ("2025-01", DEV, "Credit", "AmazonEC2", -30.0, {}, {}),
    ("2025-01", PROD, "Refund", "AWSELB", -10.0, {}, {}),
    ("2025-01", PROD, "Tax", "AmazonEC2", 8.0, {}, {}),
    ("2025-01", STRANGER, "Usage", "AmazonS3", 12.0, {}, {}),
    ("2025-01", OPS, "Usage", "abc123market", 50.0, {}, {"team": "platform"}),
    (
        "2025-02",
        DEV,
        "Usage",
        "AmazonEC2",
        120.0,
        {"line_item_net_unblended_cost": 114.0},
        {"team": "api"},
    ),
    ("2025-02", PROD, "Usage", "AmazonEC2", 80.0, {}, {"team": "app"}),
    ("2025-02", OPS, "Fee", "AWSSupportBusiness", 110.0, {}, {}),
    ("2025-02", STRANGER, "Usage", "AmazonS3", 12.0, {}, {}),
]

TRUTH = {
    "amortized": {
        ("2025-01", "dev"): 90.0,
        ("2025-01", "prod"): 64.0,
        ("2025-01", "ops"): 162.0,
        ("2025-01", "unmapped"): 12.0,
        ("2025-02", "dev"): 120.0,
        ("2025-02", "prod"): 80.0,
        ("2025-02", "ops"): 110.0,
        ("2025-02", "unmapped"): 12.0,
    },
    "unblended": {
        ("2025-01", "dev"): 90.0,
        ("2025-01", "prod"): -2.0,
        ("2025-01", "ops"): 970.0,
        ("2025-01", "unmapped"): 12.0,
        ("2025-02", "dev"): 120.0,
        ("2025-02", "prod"): 80.0,
        ("2025-02", "ops"): 110.0,
        ("2025-02", "unmapped"): 12.0,
    },
    "net": {
        ("2025-01", "dev"): 85.0,
        ("2025-01", "prod"): 62.0,
        ("2025-01", "ops"): 162.0,
        ("2025-01", "unmapped"): 12.0,
        ("2025-02", "dev"): 114.0,
        ("2025-02", "prod"): 80.0,
        ("2025-02", "ops"): 110.0,
        ("2025-02", "unmapped"): 12.0,
    },
}
NUMERIC = (
    "line_item_net_unblended_cost",
    "savings_plan_savings_plan_effective_cost",
    "savings_plan_total_commitment_to_date",
    "savings_plan_used_commitment",
    "reservation_effective_cost",
    "reservation_net_effective_cost",
    "reservation_unused_amortized_upfront_fee_for_billing_period",
    "reservation_unused_recurring_fee",
)


def rows(period: str) -> dict[str, list[Any]]:
    """The columns of one period (as a dict of lists, ready for ``pyarrow.table``)."""
    mine = [line for line in LINES if line[0] == period]
    start = dt.datetime.fromisoformat(period + "-01")
    out: dict[str, list[Any]] = {
        "line_item_usage_account_id": [line[1] for line in mine],
        "line_item_line_item_type": [line[2] for line in mine],
        "line_item_product_code": [line[3] for line in mine],
        "line_item_unblended_cost": [line[4] for line in mine],
        "line_item_usage_start_date": [start + dt.timedelta(days=i % 20) for i in range(len(mine))],
        "line_item_usage_type": ["Usage" for _ in mine],
        "product_region_code": ["eu-west-1" for _ in mine],
        "reservation_reservation_a_r_n": [
            line[5].get("reservation_reservation_a_r_n", "") for line in mine
        ],
        "resource_tags": [[(f"user_{k}", v) for k, v in line[6].items()] for line in mine],
        "product": [
            [("product_name", "Datadog Pro" if line[3] == "abc123market" else line[3])]
            for line in mine
        ],
    }
    for column in NUMERIC:
        out[column] = [line[5].get(column) for line in mine]
    return out


def write(root: Path) -> Path:
    """The bill as CUR 2.0 partitions under ``root``; returns ``root``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    for period in ("2025-01", "2025-02"):
        data = rows(period)
        types = {c: pa.float64() for c in (*NUMERIC, "line_item_unblended_cost")}
        types["resource_tags"] = types["product"] = pa.map_(pa.string(), pa.string())
        types["line_item_usage_start_date"] = pa.timestamp("ms")
        table = pa.table({k: pa.array(v, types.get(k, pa.string())) for k, v in data.items()})
        folder = root / "export" / "data" / f"BILLING_PERIOD={period}"
        folder.mkdir(parents=True)
        pq.write_table(table, folder / "part-00001.snappy.parquet")
    return root
