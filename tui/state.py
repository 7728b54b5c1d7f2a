"""What the dashboard knows right now: the latest state of every environment.

``EstateView`` is an immutable value the app replaces whenever an environment arrives
(attributes down: screens watch it and hand pieces to their widgets). An environment keeps
its last good data when a refresh fails, with the error beside it, so one failing account
never blanks the others or itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from opskit.config import Config
from opskit.estate import ClusterState, EnvironmentState, ServiceState, Snapshot

_DENIED_WORDS = ("may not enter", "accessdenied", "access denied", "not authorized")


def is_denied(error: str | None) -> bool:
    """True when an environment's error says the user may not enter it at all."""
    return bool(error) and any(word in error.lower() for word in _DENIED_WORDS)  # type: ignore[union-attr]


@dataclass(frozen=True)
class EnvStatus:
    """One environment as the dashboard shows it."""

    name: str
    colour: str
    protected: bool
    state: EnvironmentState | None = None  # the last read that had data
    error: str | None = None  # the latest read's error, if it failed
    updated_at: dt.datetime | None = None  # when the last good read was taken
    fetched_at: dt.datetime | None = None  # when the latest read (good or not) was taken
    calls: int = 0  # API calls of the latest read
    seconds: float = 0.0  # how long the latest read took
    loading: bool = True
    unknown: str | None = None  # what the latest read could not see (one API family failed)

    @property
    def denied(self) -> bool:
        return is_denied(self.error)

    @property
    def clusters(self) -> tuple[ClusterState, ...]:
        return self.state.clusters if self.state else ()

    def service(self, name: str) -> tuple[ClusterState, ServiceState] | None:
        if self.state is None:
            return None
        return next(((c, s) for c, s in self.state.services() if s.name == name), None)


@dataclass(frozen=True)
class EstateView:
    """Every environment's status, in display order, plus spend and the call count."""

    envs: tuple[EnvStatus, ...]
    spend: Mapping[str, float] | None = None
    api_calls: int = 0
    last_refresh: dt.datetime | None = None
    last_refresh_seconds: float = 0.0
    concerns: Mapping[str, str] = field(default_factory=dict)  # cluster -> concern, config order

    @classmethod
    def empty(cls, config: Config, envs: list[str] | None = None) -> EstateView:
        names = envs or config.env_names()
        statuses = tuple(
            EnvStatus(n, config.environments[n].colour, config.environments[n].protected)
            for n in names
        )
        concerns = {name: c.concern for name, c in config.clusters.items()}
        return cls(statuses, concerns=concerns)

    def env(self, name: str) -> EnvStatus | None:
        return next((e for e in self.envs if e.name == name), None)

    def names(self) -> list[str]:
        return [e.name for e in self.envs]

    def arrived(self, snapshot: Snapshot, api_calls: int) -> EstateView:
        """This view with the environments of ``snapshot`` replaced."""
        fresh = {e.name: e for e in snapshot.environments}
        envs = []
        for status in self.envs:
            got = fresh.get(status.name)
            envs.append(_merge(status, got, snapshot.seconds) if got else status)
        done = [e for e in envs if not e.loading]
        return dataclasses.replace(
            self,
            envs=tuple(envs),
            api_calls=max(self.api_calls, api_calls),  # reads finish in any order
            last_refresh=max((e.fetched_at for e in done if e.fetched_at), default=None),
            last_refresh_seconds=max((e.seconds for e in done), default=0.0),
        )

    def failed(self, env: str, error: str) -> EstateView:
        """This view with ``env``'s latest read failed entirely (no snapshot at all)."""
        envs = tuple(
            dataclasses.replace(s, error=error, loading=False) if s.name == env else s
            for s in self.envs
        )
        return dataclasses.replace(self, envs=envs)

    def rows(self) -> Iterator[tuple[str, str, str]]:
        """(concern, cluster, service) for every service in any environment, grouped by
        concern then cluster, services by name; a cluster without services yields
        ``(concern, cluster, "")`` once."""
        seen: dict[tuple[str, str], set[str]] = {}
        for status in self.envs:
            for state in status.clusters:
                names = seen.setdefault((state.concern or state.name, state.name), set())
                names.update(s.name for s in state.services)
        order = {name: index for index, name in enumerate(self.concerns)}
        for concern, cluster in sorted(seen, key=lambda k: (order.get(k[1], len(order)), k)):
            yield concern, cluster, ""
            for service in sorted(seen[(concern, cluster)]):
                yield concern, cluster, service

    def cluster(self, env: str, name: str) -> ClusterState | None:
        status = self.env(env)
        if status is None or status.state is None:
            return None
        return status.state.cluster(name)


def _merge(status: EnvStatus, got: EnvironmentState, seconds: float) -> EnvStatus:
    partial = bool(got.clusters) and bool(got.unknown) and "ecs" not in got.unknown
    unknown = None
    if partial:  # e.g. Route53 denied: the rest is shown; what is unknown is said once
        reasons: dict[str, list[str]] = {}
        for family, unread in got.unknown.items():
            reasons.setdefault(unread.reason, []).append(family)
        unknown = "; ".join(f"{', '.join(f)} unknown: {r}" for r, f in reasons.items())
    read = dataclasses.replace(
        status,
        error=None if partial else got.error,
        unknown=unknown,
        calls=sum(got.calls.values()),
        seconds=got.seconds or seconds,
        fetched_at=got.fetched_at,
        loading=False,
    )
    if got.error and not got.clusters:
        return read  # nothing read: keep the last good data beside the error
    state = got
    if status.state is not None and same_estate(status.state, got):
        state = status.state  # nothing moved: the same object, so screens skip redrawing it
    return dataclasses.replace(read, state=state, updated_at=got.fetched_at)


def same_estate(old: EnvironmentState, new: EnvironmentState) -> bool:
    """True when ``new`` holds what ``old`` holds (only when and how it was read differ)."""
    same = dataclasses.replace(new, fetched_at=old.fetched_at, calls=old.calls, seconds=old.seconds)
    return same == old
