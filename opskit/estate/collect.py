"""Read the estate: ``Estate.snapshot()`` for every environment, ``Estate.service()`` for one.

All environments and regions are read at once (one thread each, sharing one pool for the
single calls they fan out to), and every call uses AWS's page and batch maxima, so a full
overview costs the floor of calls and about the time of its slowest chain. An environment
that fails (denied, throttled past retries, unreachable) is still in the snapshot, with its
``error`` and whatever it did read; the others are complete. Each snapshot carries the API
calls it made, by operation, from ``Accounts.calls``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from opskit.aws.ecs import EcsReader
from opskit.config import Config
from opskit.errors import OpskitError, one_line
from opskit.estate import parse
from opskit.estate.assemble import RegionState, assemble
from opskit.estate.freshness import Freshness
from opskit.estate.metrics import MetricsSource, metrics_source
from opskit.estate.model import (
    Depth,
    DnsRecord,
    EnvironmentState,
    ServiceState,
    Snapshot,
    TargetGroupState,
    TaskDefinitionState,
    Unread,
)
from opskit.estate.parse import dns_host
from opskit.estate.raw_region import RawRegion
from opskit.estate.region import RegionRead
from opskit.estate.reuse import run_due

if TYPE_CHECKING:
    from opskit.accounts import Accounts


class Estate:
    """Reads snapshots with one set of clients; keep one per workspace (the TUI does)."""

    def __init__(
        self,
        accounts: Accounts,
        *,
        metrics: MetricsSource | None = None,
        utilization: bool = True,
        workers: int = 32,
        hours: float = 1.0,
    ) -> None:
        self.accounts = accounts
        self.config = accounts.config
        if utilization and metrics is None:
            metrics = metrics_source(self.config, accounts)
        self.metrics = metrics if utilization else None
        self.workers = workers
        self.hours = hours
        self._definitions: dict[tuple[str, str], TaskDefinitionState] = {}
        self._lock = threading.Lock()

    def window(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
        """The last ``hours`` up to ``now``, on whole minutes (as CloudWatch aligns them)."""
        end = now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)
        return end - dt.timedelta(hours=self.hours), end

    def snapshot(
        self, envs: Sequence[str] | None = None, refresh: Freshness | None = None
    ) -> Snapshot:
        """Every named environment (default: all) at overview depth; with ``refresh``
        (a dashboard's schedule) only the families that are due, the rest reused."""
        names = list(envs) if envs else self.config.env_names()
        for name in names:
            self.config.environment(name)
        began, now = time.perf_counter(), dt.datetime.now(dt.UTC)
        before = self.accounts.calls.by_env_operation()
        window = self.window(now)
        pairs = [(e, r) for e in names for r in self.config.environment(e).regions]
        with (
            ThreadPoolExecutor(self.workers, thread_name_prefix="estate") as pool,
            ThreadPoolExecutor(len(pairs), thread_name_prefix="env") as envs_pool,
        ):
            futures = {
                pair: envs_pool.submit(self._read_region, pair[0], pair[1], pool, window, refresh)
                for pair in pairs
            }
            answers = {pair: future.result() for pair, future in futures.items()}
        after = self.accounts.calls.by_env_operation()
        states = [
            self._environment(
                name,
                [answers[(name, region)] for region in self.config.environment(name).regions],
                now,
                _delta(before.get(name, {}), after.get(name, {})),
            )
            for name in names
        ]
        states = link_traffic(states, self.config)
        calls: dict[str, int] = {}
        for state in states:
            for operation, count in state.calls.items():
                calls[operation] = calls.get(operation, 0) + count
        return Snapshot(
            environments=tuple(states),
            fetched_at=now,
            depth=Depth.overview,
            calls=dict(sorted(calls.items())),
            seconds=time.perf_counter() - began,
        )

    def service(self, env: str, name: str) -> ServiceState:
        """One service at detail depth (target health, definition, stopped tasks, all events)."""
        from opskit.estate.detail import read_service

        with ThreadPoolExecutor(self.workers, thread_name_prefix="detail") as pool:
            return read_service(self, env, name, pool)

    def targets(self, env: EnvironmentState) -> tuple[TargetGroupState, ...]:
        """``env``'s target groups with target health and draining delay (2 calls per group)."""
        from opskit.estate.detail import read_targets

        with ThreadPoolExecutor(self.workers, thread_name_prefix="targets") as pool:
            return read_targets(self, env, pool)

    def task_definition(self, env: str, arn: str) -> TaskDefinitionState:
        """A task definition by ARN (or family:revision); revisions never change, so cached."""
        with self._lock:
            known = self._definitions.get((env, arn))
        if known is None:
            region = _arn_region(arn) or self.config.environment(env).region
            ecs = EcsReader(self.accounts.client(env, "ecs", region=region), f"{env} ({region})")
            known = parse.task_definition(ecs.describe_task_definition(arn))
            with self._lock:
                self._definitions[(env, arn)] = self._definitions[(env, known.arn)] = known
        return known

    def _read_region(
        self,
        env: str,
        region: str,
        pool: ThreadPoolExecutor,
        window: tuple[dt.datetime, dt.datetime],
        refresh: Freshness | None = None,
    ) -> RawRegion:
        primary = region == self.config.environment(env).region
        due = refresh.due(env, region) if refresh is not None else None
        read = RegionRead(
            self.accounts,
            env,
            region,
            pool=pool,
            metrics=self.metrics,
            window=window,
            dns=primary,  # Route53 is global: read it once per account
            due=due,
        )
        began = time.perf_counter()
        try:
            if due is not None and due.previous is not None:
                run_due(read, due.previous)  # only what is due; the rest from the last read
            else:
                read.run()
        except OpskitError as error:  # nothing of the region could be read: one reason
            read.raw.errors[:] = [str(error)]
            unread_whole(read.raw, error, dns=primary, metrics=self.metrics is not None)
        read.raw.seconds = time.perf_counter() - began
        if refresh is not None and due is not None and not read.raw.errors:
            refresh.done(env, region, read.raw, read.read)  # a failed read: all due again
        return read.raw

    def _environment(
        self,
        name: str,
        raws: Sequence[RawRegion],
        now: dt.datetime,
        calls: Mapping[str, int],
    ) -> EnvironmentState:
        env = self.config.environment(name)
        warnings: list[str] = []
        parts: list[RegionState] = []
        unknown: dict[str, Unread] = {}
        zones = [zone for raw in raws for zone in raw.zones]  # Route53 is global: read once
        for raw in raws:
            warnings.extend(raw.warnings)
            for family, failure in raw.failed.items():
                unknown.setdefault(family, Unread(one_line(failure), int(failure.exit_code)))
            # every region joins the same records to its own balancers and services
            whole = raw if raw.zones else dataclasses.replace(raw, zones=zones)
            parts.append(assemble(whole, self.config, now))
        errors = list(dict.fromkeys(u.reason for u in unknown.values()))  # once per env
        errors = errors or [e for raw in raws for e in raw.errors]
        return EnvironmentState(
            name=name,
            account=env.account_id,
            region=env.region,
            colour=env.colour,
            protected=env.protected,
            fetched_at=now,
            error="; ".join(errors) or None,
            regions=tuple(env.regions),
            clusters=tuple(c for p in parts for c in p.clusters),
            load_balancers=tuple(lb for p in parts for lb in p.load_balancers),
            target_groups=tuple(g for p in parts for g in p.target_groups),
            dns=_one_of_each(r for p in parts for r in p.dns),
            calls=dict(sorted(calls.items())),
            seconds=max((raw.seconds for raw in raws), default=0.0),
            warnings=tuple(dict.fromkeys(warnings)),
            unknown=dict(sorted(unknown.items())),
        )


def unread_whole(raw: RawRegion, error: OpskitError, *, dns: bool, metrics: bool) -> None:
    """A region read that failed as a whole: every family it did not read is unknown."""
    raw.failed.setdefault("ecs", error)
    if metrics:
        raw.failed.setdefault("metrics", error)
    if not raw.load_balancers and not raw.target_groups:
        raw.failed.setdefault("elbv2", error)
    if dns and not raw.zones:
        raw.failed.setdefault("route53", error)


def link_traffic(states: list[EnvironmentState], config: Config) -> list[EnvironmentState]:
    """Point records at balancers of *other* environments too, and name weighted sets' services.

    A traffic-shift record (``[traffic.*]``) lives in one environment's zone and points at
    balancers of several environments; it is listed among the DNS names of the configured
    service in each environment it reaches.
    """
    owner = {
        dns_host(lb.dns_name): (state.name, lb.name)
        for state in states
        for lb in state.load_balancers
    }
    reached: dict[str, set[str]] = {}
    services = {t.record.rstrip("."): t.service for t in config.traffic.values()}
    out = []
    for state in states:
        records = []
        for record in state.dns:
            target = owner.get(dns_host(record.alias_target)) if record.alias_target else None
            if target is not None and not record.load_balancer:
                record = dataclasses.replace(record, load_balancer=target[1])
            if target is not None:
                record = dataclasses.replace(record, target_env=target[0])
                if record.name in services:
                    reached.setdefault(target[0], set()).add(record.name)
            records.append(record)
        out.append(dataclasses.replace(state, dns=tuple(records)))
    return [_with_names(state, reached.get(state.name, set()), services) for state in out]


def _with_names(
    state: EnvironmentState, names: set[str], services: Mapping[str, str]
) -> EnvironmentState:
    if not names:
        return state
    clusters = []
    for cluster in state.clusters:
        changed = []
        for service in cluster.services:
            extra = {n for n in names if services[n] == service.name}
            if extra:
                service = dataclasses.replace(
                    service, dns_names=tuple(sorted({*service.dns_names, *extra}))
                )
            changed.append(service)
        clusters.append(dataclasses.replace(cluster, services=tuple(changed)))
    return dataclasses.replace(state, clusters=tuple(clusters))


def _delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def _arn_region(arn: str) -> str:
    """The region an ARN names ('' for a bare family:revision)."""
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 3 else ""


def _one_of_each(records: Iterable[DnsRecord]) -> tuple[DnsRecord, ...]:
    """Each record once (every region parsed them all), as the region that knows its
    balancer sees it."""
    found: dict[tuple[str, str, str, str], DnsRecord] = {}
    for record in records:
        key = (record.zone, record.name, record.type, record.set_identifier)
        if key not in found or (record.load_balancer and not found[key].load_balancer):
            found[key] = record
    return tuple(found.values())
