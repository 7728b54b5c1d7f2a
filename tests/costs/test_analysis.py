"""Month-over-month drivers, the run-rate forecast, spec parsing and labels."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from opskit.costs import analysis, labels
from opskit.costs.spec import last_periods, make_spec, parse_by, shift_period
from opskit.errors import UsageError


def frame(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"period": p, "environment": e, "account": "1", "charge": "usage", "service": s,
             "unblended": v, "amortized": v, "net": v}
            for p, e, s, v in rows
        ]
    )  # fmt: skip


def test_drivers_compare_the_last_two_complete_months_per_day() -> None:
    data = frame(
        [
            ("2025-08", "prod", "EC2", 100), ("2025-09", "prod", "EC2", 160),
            ("2025-08", "prod", "S3", 50), ("2025-09", "prod", "S3", 45),
            ("2025-08", "dev", "EC2", 10), ("2025-09", "dev", "EC2", 10),
            ("2025-09", "dev", "ECS", 7),
            ("2025-10", "prod", "EC2", 999),  # the current, partial month: not compared
        ]
    )  # fmt: skip
    drivers = analysis.mom_drivers(data, dt.date(2025, 10, 3))
    assert drivers.attrs["periods"] == ("2025-08", "2025-09")
    # August has 31 days, September 30: compared per day, dev EC2's flat 10 is a rise
    assert list(zip(drivers["environment"], drivers["service"], strict=True)) == [
        ("prod", "EC2"), ("dev", "ECS"), ("prod", "S3"), ("dev", "EC2"),
    ]  # fmt: skip
    assert list(drivers["delta_per_day"]) == pytest.approx(
        [160 / 30 - 100 / 31, 7 / 30, 45 / 30 - 50 / 31, 10 / 30 - 10 / 31]
    )
    assert list(drivers["delta"]) == [60, 7, -5, 0]
    assert drivers["delta_pct"].iloc[0] == pytest.approx((160 / 30) / (100 / 31) * 100 - 100)
    assert pd.isna(drivers["delta_pct"].iloc[1])  # new this month


def test_forecast_extrapolates_the_median_recent_day() -> None:
    days = [dt.date(2025, 11, d) for d in range(1, 11)]
    daily = pd.DataFrame(
        [{"day": d, "environment": "prod", "charge": "usage", "amortized": 10.0} for d in days]
        + [
            {"day": days[0], "environment": "prod", "charge": "usage", "amortized": 500.0}
        ]  # one-off
        + [{"day": days[-1], "environment": "prod", "charge": "tax", "amortized": 80.0}]
    )
    out = analysis.forecast_from_daily({"prod": 680.0}, daily, dt.date(2025, 11, 10))
    row = out.iloc[0]
    assert row["rest_of_month"] == pytest.approx(10.0 * 20)  # 20 days after Nov 10
    assert row["forecast"] == pytest.approx(680.0 + 200.0)


def test_parse_by_and_periods() -> None:
    assert parse_by("env,service,tag:team") == ("environment", "service", "tag:team")
    assert parse_by(["env", "env,account"]) == ("environment", "account")
    with pytest.raises(UsageError, match="unknown breakdown 'region'"):
        parse_by("env,region")
    with pytest.raises(UsageError, match="tag:KEY"):
        parse_by("tag:")
    # --months counts complete months; the current one comes apart, after them
    assert last_periods(2, dt.date(2025, 1, 5)) == ("2024-11", "2024-12", "2025-01")
    assert last_periods(0, dt.date(2025, 1, 5)) == ("2025-01",)
    assert shift_period("2025-01", -13) == "2023-12"
    with pytest.raises(UsageError):
        make_spec(months=2, by="env", source="bigquery")
    with pytest.raises(UsageError):
        last_periods(-1, dt.date(2025, 1, 5))


@pytest.mark.parametrize(
    ("line_type", "product", "reservation", "charge"),
    [
        ("Usage", "AmazonEC2", False, "usage"),
        ("SavingsPlanNegation", "AmazonEC2", False, "usage"),
        ("SavingsPlanRecurringFee", "ComputeSavingsPlans", False, "commitment"),
        ("RIFee", "AmazonEC2", True, "commitment"),
        ("Fee", "AmazonEC2", True, "commitment"),
        ("Fee", "AmazonEC2", False, "fee"),
        ("Fee", "AWSSupportBusiness", False, "support"),
        ("Support fee", "", False, "support"),
        ("Recurring reservation fee", "", False, "commitment"),
        ("Credit", "AmazonEC2", False, "credit"),
        ("Refund", "AWSSupportBusiness", False, "refund"),
        ("Tax", "AmazonEC2", False, "tax"),
        ("EdpDiscount", "AmazonEC2", False, "discount"),
        ("Mystery", "AmazonEC2", False, "other"),
    ],
)
def test_charge_labels(line_type: str, product: str, reservation: bool, charge: str) -> None:
    assert labels.charge_of(line_type, product, reservation) == charge


def test_service_names_agree_between_cur_and_cost_explorer() -> None:
    assert labels.service_name("AmazonEC2") == labels.service_name("EC2 - Other") == "EC2"
    assert labels.service_name("Amazon Elastic Compute Cloud - Compute") == "EC2"
    assert labels.service_name("AWSSupportBusiness") == labels.service_name(
        "AWS Support (Business)"
    )
    assert labels.service_name("AmazonEC2", "tax") == "Tax"
    assert labels.service_name("Datadog Pro") == "Datadog Pro"
