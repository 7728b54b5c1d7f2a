"""The sandbox bills what runs: this month's Fargate lines follow the live ECS desired counts.

A background service polls moto's ECS backends (every ``POLL_S`` seconds) and records
each change of a service's desired count with its time. The current month's bill is then
regenerated with each Fargate service's daily units scaled by the tasks it really ran
that day (hour-weighted, relative to the count the bill was seeded with), and republished
everywhere the seed put it (local parquet, S3, Cost Explorer, Athena). Like AWS, whose
billing data refreshes up to three times a day, the bill is refreshed every
``REFRESH_HOURS`` of sandbox time (real seconds × the time factor), or at once through
the control path ``POST /_opskit/billing`` ``{"refresh": true}`` or ``{"advance_days": N}``;
advancing moves the bill's "today" on by N days (within the current month), so the days
after a scale can be billed and a run-rate step seen.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from sandbox.billing import curgen
from sandbox.billing.catalog import Catalog
from sandbox.billing.spec import BillSpec

if TYPE_CHECKING:
    from sandbox.plugins import SandboxContext

log = logging.getLogger(__name__)

POLL_S = 2.0
REFRESH_HOURS = 8.0  # sandbox hours between refreshes (AWS: up to 3 times a day)
DAY_S = 86_400.0

Key = tuple[str, str]  # (account id, service name)


class Capacity:
    """Desired counts over time per account × service, against the seeded counts."""

    def __init__(self, seeded: dict[Key, int]) -> None:
        self.seeded = seeded
        self.events: dict[Key, list[tuple[dt.datetime, int]]] = {}

    def record(self, key: Key, at: dt.datetime, count: int) -> None:
        self.events.setdefault(key, []).append((at, count))

    def day_factor(self, key: Key, day: dt.date) -> float:
        """Tasks run on ``day`` (time-weighted) over the seeded count."""
        seeded = self.seeded.get(key, 0)
        events = self.events.get(key)
        if not events or seeded <= 0:
            return 1.0
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        end = start + dt.timedelta(days=1)
        current, cursor, total = float(seeded), start, 0.0
        for at, count in events:
            if at <= start:
                current = float(count)
                continue
            if at >= end:
                break
            total += current * (at - cursor).total_seconds()
            cursor, current = at, float(count)
        total += current * (end - cursor).total_seconds()
        return total / DAY_S / seeded

    def multipliers(self, cat: Catalog, res: Any, day: Any, period: str) -> Any:
        """Per line: the factor its Fargate service's day gets (1 for everything else)."""
        out = np.ones(len(res))
        year, month = (int(p) for p in period.split("-"))
        for key in self.events:
            account, service = key
            rows = (
                (cat.account[res] == account)
                & (cat.service[res] == service)
                & (cat.product[res] == "AmazonECS")
            )
            if not rows.any():
                continue
            factors = {
                int(d): self.day_factor(key, dt.date(year, month, int(d))) for d in set(day[rows])
            }
            out[rows] = [factors[int(d)] for d in day[rows]]
        return out


class LiveBill:
    """The current month's bill, regenerated from the live desired counts."""

    def __init__(self, ctx: SandboxContext, spec: BillSpec, publish: Any) -> None:
        self.ctx, self.spec, self.publish = ctx, spec, publish
        self.catalog = Catalog.build(spec)
        seeded: dict[Key, int] = {}
        for account in spec.accounts:
            for name, _team, desired, _cpu, _memory, _lb in account.services:
                seeded[(account.account_id, name)] = desired
        self.capacity = Capacity(seeded)
        self.seen: dict[Key, int] = {}
        self.offset_days = 0
        self.lock = threading.Lock()
        self.last_refresh = time.time()
        self.dirty = False

    @property
    def today(self) -> dt.date:
        return self.spec.today + dt.timedelta(days=self.offset_days)

    def poll(self) -> bool:
        """Record desired counts that changed since the last poll; True if any did."""
        changed = False
        now = dt.datetime.now(dt.UTC)
        for env, account_id in self.ctx.accounts.items():
            try:
                services = list(self.ctx.backend("ecs", env).services.values())
            except Exception:  # a backend being rebuilt: try again next poll
                continue
            for service in services:
                if getattr(service, "status", "ACTIVE") != "ACTIVE":
                    continue
                key = (account_id, str(service.name))
                count = int(service.desired_count)
                before = self.seen.get(key)
                self.seen[key] = count
                if before is not None and before != count:
                    self.capacity.record(key, now, count)
                    changed = True
        self.dirty = self.dirty or changed
        return changed

    def refresh(self) -> None:
        """Regenerate and republish the current month (the older ones do not change)."""
        spec = dataclasses.replace(self.spec, today=self.today)
        period = spec.periods()[-1]
        table = curgen.period_table(
            spec, self.catalog, spec.months - 1, period, 1, capacity=self.capacity
        )
        self.publish(period, table, spec.today)
        self.last_refresh, self.dirty = time.time(), False

    def advance(self, days: int) -> dt.date:
        """Move the bill's today on by ``days`` (within the current month) and refresh."""
        with self.lock:
            target = self.today + dt.timedelta(days=days)
            last = calendar.monthrange(self.spec.today.year, self.spec.today.month)[1]
            if (
                target.month != self.spec.today.month
                or target.day > last
                or target < (self.spec.today)
            ):
                raise ValueError(
                    f"the bill's today stays within {self.spec.today:%Y-%m}, "
                    f"from {self.spec.today} (asked for {target})"
                )
            self.offset_days += days
            self.poll()
            self.refresh()
            return self.today

    def run(self) -> None:
        every = REFRESH_HOURS * 3600 / max(self.ctx.time_factor, 1.0)
        while not self.ctx.stop_event.wait(POLL_S):
            with self.lock:
                try:
                    self.poll()
                    if self.dirty and time.time() - self.last_refresh >= every:
                        self.refresh()
                except Exception:
                    log.exception("refreshing the sandbox's live bill failed")


_live: LiveBill | None = None


def current() -> LiveBill | None:
    return _live


def control(body: dict[str, Any]) -> dict[str, Any]:
    """``POST /_opskit/billing``: refresh now, or advance the bill's today first."""
    live = _live
    if live is None:
        raise ValueError("the sandbox has no live bill (is the cost seeder off?)")
    days = int(body.get("advance_days") or 0)
    if days:
        today = live.advance(days)
    else:
        with live.lock:
            live.poll()
            live.refresh()
            today = live.today
    return {"today": today.isoformat(), "offset_days": live.offset_days}


class _Handle:
    def __init__(self, thread: threading.Thread | None) -> None:
        self.thread = thread

    def stop(self) -> None:
        global _live
        _live = None


def start(ctx: SandboxContext, spec: BillSpec, publish: Any) -> _Handle:
    """Start following the estate (called by ``costdata.seed_costs`` once it has seeded)."""
    global _live
    live = LiveBill(ctx, spec, publish)
    live.poll()  # the counts as seeded
    _live = live
    thread = threading.Thread(target=live.run, name="sandbox-live-bill", daemon=True)
    thread.start()
    return _Handle(thread)
