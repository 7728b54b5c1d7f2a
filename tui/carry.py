"""Utilization carried from one read to the next, so metrics are fetched once a minute.

CloudWatch's utilization series have one-minute points: reading them every few seconds
only costs CPU (GetMetricData parsing dominates a refresh). The dashboard reads them at
most once a minute and, in between, lays the last series it has on the fresh read of
clusters, services and hosts (matched by name and id). Pure functions over the model.
"""

from __future__ import annotations

import dataclasses

from opskit.estate import ClusterState, EnvironmentState, Utilization


def carry_utilization(fresh: EnvironmentState, known: EnvironmentState) -> EnvironmentState:
    """``fresh`` (read without metrics) with the series of ``known`` where it has none."""
    old = {c.name: c for c in known.clusters}
    clusters = tuple(_cluster(c, old.get(c.name)) for c in fresh.clusters)
    return dataclasses.replace(fresh, clusters=clusters)


def _keep(new: Utilization, old: Utilization | None) -> Utilization:
    if old is None or (new.cpu is not None or new.memory is not None):
        return new
    return old


def _cluster(fresh: ClusterState, known: ClusterState | None) -> ClusterState:
    if known is None:
        return fresh
    services = {s.name: s.utilization for s in known.services}
    hosts = {h.id: h.utilization for h in known.instances}
    return dataclasses.replace(
        fresh,
        utilization=_keep(fresh.utilization, known.utilization),
        services=tuple(
            dataclasses.replace(s, utilization=_keep(s.utilization, services.get(s.name)))
            for s in fresh.services
        ),
        instances=tuple(
            dataclasses.replace(h, utilization=_keep(h.utilization, hosts.get(h.id)))
            for h in fresh.instances
        ),
    )
