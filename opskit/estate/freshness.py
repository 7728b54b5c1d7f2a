"""Which parts of the estate a repeated read re-fetches, and which it reuses.

A dashboard left open must not re-read everything every few seconds: AWS throttles and
CloudWatch bills per metric. Each *family* of calls has its own pace: services and their
deployments every read (the part that must be live: DescribeServices of the services
already known); which services a cluster has (ListServices) every ``listing`` seconds, as
the list only moves when a service is created or deleted; a cluster's tasks and hosts when its
services' counts or deployments moved, else every ``tasks`` / ``hosts`` seconds; utilization
once per CloudWatch period; the cluster list, balancers, listeners, rules, target groups
and DNS every few minutes, at once after a change (``expire``) and when the user asks
(``ctrl+r``).

``Freshness`` is opt-in: ``Estate.snapshot(refresh=...)`` takes one and keeps the previous
read of every environment and region in it; without one a snapshot reads everything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opskit.estate.raw_region import RawRegion


class Family(StrEnum):
    """A group of calls that is re-read together."""

    services = "services"  # DescribeServices (of the services listed last)
    tasks = "tasks"  # ListTasks + DescribeTasks
    hosts = "hosts"  # container instances (their free capacity)
    clusters = "clusters"  # ListClusters + DescribeClusters
    metrics = "metrics"  # GetMetricData (utilization, unhealthy hosts)
    network = "network"  # load balancers, listeners, rules, target groups
    dns = "dns"  # Route53 zones and records
    listing = "listing"  # ListServices: which services each cluster has
    revisions = "revisions"  # each family's newest revision, scheduled tasks


@dataclass(frozen=True)
class Paces:
    """Seconds between reads of each family (services: every read)."""

    tasks: float = 30.0
    hosts: float = 120.0
    clusters: float = 180.0
    metrics: float = 60.0  # one CloudWatch period
    network: float = 180.0
    dns: float = 180.0
    listing: float = 60.0  # a service created elsewhere shows within a minute
    revisions: float = 180.0  # one call per task definition family: slow, rarely moves

    def of(self, family: Family) -> float:
        return 0.0 if family is Family.services else float(getattr(self, family.value))


@dataclass(frozen=True)
class Due:
    """What one region's read fetches; the rest comes from ``previous``."""

    families: frozenset[Family]
    previous: RawRegion | None = None

    def reads(self, family: Family) -> bool:
        return self.previous is None or family in self.families


ALL = frozenset(Family)
# A staged first read: the matrix (every service with its state), nothing that can wait.
FIRST = frozenset({Family.clusters, Family.listing, Family.services})


class Freshness:
    """The refresh schedule of one dashboard: when each family of each environment and
    region was last read, and that read, to reuse. Thread-safe (reads run in workers)."""

    def __init__(
        self,
        paces: Paces | None = None,
        clock: Callable[[], float] = time.monotonic,
        staged: bool = False,
    ) -> None:
        self.paces = paces or Paces()
        self.clock = clock
        self.staged = staged  # first read: clusters and services only, the rest right after
        self._read_at: dict[tuple[str, str], dict[Family, float]] = {}
        self._raw: dict[tuple[str, str], RawRegion] = {}
        self._lock = threading.Lock()

    def due(self, env: str, region: str) -> Due:
        """The families of ``env``/``region`` to read now, with the previous read."""
        with self._lock:
            previous = self._raw.get((env, region))
            if previous is None and self.staged:
                from opskit.estate.raw_region import RawRegion

                return Due(FIRST, RawRegion(env, region))
            if previous is None:
                return Due(ALL)
            read_at = self._read_at.get((env, region), {})
            now = self.clock()
            families = frozenset(
                f for f in Family if now - read_at.get(f, float("-inf")) >= self.paces.of(f)
            )
            return Due(families, previous)

    def done(self, env: str, region: str, raw: RawRegion, read: Iterable[Family]) -> None:
        """Record a finished read: ``read`` are the families it fetched (not reused)."""
        with self._lock:
            now = self.clock()
            stamps = self._read_at.setdefault((env, region), {})
            for family in read:
                stamps[family] = now
            self._raw[(env, region)] = raw

    def expire(self, env: str | None = None, families: Iterable[Family] = ALL) -> None:
        """Make ``families`` (default: all) of ``env`` (default: every one) due at once:
        after a change, and when the user asks for a full refresh."""
        wanted = frozenset(families)
        with self._lock:
            for (name, _region), stamps in self._read_at.items():
                if env is None or name == env:
                    for family in wanted:
                        stamps.pop(family, None)

    def partial(self, env: str) -> bool:
        """True when ``env`` was read, but only in part (a staged first read): some family
        was never read yet (Route53 aside: only the primary region reads it)."""
        with self._lock:
            stamps = [s for (name, _), s in self._read_at.items() if name == env]
            return any(not set(s) >= ALL - {Family.dns} for s in stamps)

    def last(self, env: str) -> Mapping[Family, float]:
        """When each family of ``env`` was last read (the earliest over its regions)."""
        with self._lock:
            out: dict[Family, float] = {}
            for (name, _region), stamps in self._read_at.items():
                if name == env:
                    for family, at in stamps.items():
                        out[family] = min(out.get(family, at), at)
            return out


def services_moved(before: Iterable[Mapping[str, Any]], after: Iterable[Mapping[str, Any]]) -> bool:
    """True when a service appeared, went, or changed its counts or deployments: the
    moment its tasks (and hosts' free capacity) are worth reading again."""
    return _marks(before) != _marks(after)


def _marks(services: Iterable[Mapping[str, Any]]) -> dict[str, tuple[Any, ...]]:
    return {
        s.get("serviceArn", ""): (
            s.get("status"),
            s.get("desiredCount"),
            s.get("runningCount"),
            s.get("pendingCount"),
            s.get("taskDefinition"),
            tuple(
                (
                    d.get("id"),
                    d.get("status"),
                    d.get("rolloutState"),
                    d.get("desiredCount"),
                    d.get("runningCount"),
                    d.get("pendingCount"),
                    d.get("failedTasks"),
                )
                for d in s.get("deployments", [])
            ),
        )
        for s in services
    }
