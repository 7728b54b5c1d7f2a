"""What determines the sandbox's bill: the accounts, what runs in each, the window.

Plain values, shared by the catalog, the line engine and the CUR layout (so none of them
imports another just for a type).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DATADOG = ("7x3f9datadogpro0qwrx", "Datadog Pro (Pay-As-You-Go)")


@dataclass(frozen=True)
class Account:
    """One account in the bill and what runs in it."""

    account_id: str
    name: str
    kind: str  # "env" | "ops" | "unmapped"
    hosts: tuple[tuple[str, str, int], ...] = ()  # (cluster concern, instance type, count)
    # (service, team, desired, cpu, memory, behind a load balancer)
    services: tuple[tuple[str, str, int, int, int, bool], ...] = ()


@dataclass(frozen=True)
class BillSpec:
    """Everything that determines the bill."""

    payer: str
    accounts: tuple[Account, ...]
    today: dt.date
    months: int = 13
    region: str = "eu-west-1"
    seed: int = 20240601
    line_items: int | None = None  # target size; None: the sandbox's natural size

    def periods(self) -> list[str]:
        """The billing periods covered, oldest first (the last is the current month)."""
        index = self.today.year * 12 + self.today.month - 1
        return [
            f"{(i // 12):04d}-{(i % 12) + 1:02d}" for i in range(index - self.months + 1, index + 1)
        ]


UNMAPPED_ACCOUNT = Account(
    "555555555555", "legacy-sandbox", "unmapped", hosts=(("legacy", "t3.large", 1),)
)
