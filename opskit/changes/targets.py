"""Naming the ECS services a change acts on, and the keys its diffs and locks use.

A service is named by any address (``SERVICE``, ``CLUSTER/SERVICE``,
``REGION:CLUSTER/SERVICE``) and found where it is live (``opskit.address``): the catalog
is not needed. A service in an environment's first region keeps the resource id
``ENV/ecs/service/CLUSTER/SERVICE``; one in another region is
``ENV/ecs/service/REGION:CLUSTER/SERVICE`` (ECS cluster names never hold a colon).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from opskit.address import locate
from opskit.changes.plan import resource_id
from opskit.config import Config
from opskit.errors import UsageError


@dataclass(frozen=True)
class ServiceRef:
    """One ECS service in one environment (``region`` empty: the environment's first)."""

    env: str
    cluster: str
    service: str
    region: str = ""

    @property
    def resource(self) -> str:
        """The resource id diffs and locks use: ``ENV/ecs/service/CLUSTER/SERVICE``."""
        cluster = f"{self.region}:{self.cluster}" if self.region else self.cluster
        return resource_id(self.env, "ecs", "service", cluster, self.service)

    @property
    def label(self) -> str:
        where = f"{self.region}:" if self.region else ""
        return f"{where}{self.cluster}/{self.service}"

    @property
    def where(self) -> str | None:
        """The region to make clients in (None: the environment's first)."""
        return self.region or None

    @classmethod
    def from_resource(cls, resource: str) -> ServiceRef:
        env, _, _, cluster, service = resource.split("/", 4)
        region, _, name = cluster.rpartition(":")
        return cls(env, name, service, region)


def plan_region(first: str, resources: Iterable[str]) -> str:
    """The region a plan acts in, from its ECS service resources (``first``: the
    environment's first region, where keys carry none); several are joined with commas."""
    regions = {
        ServiceRef.from_resource(r).region or first for r in resources if "/ecs/service/" in r
    }
    return ",".join(sorted(regions)) if regions else first


def locate_ref(ctx: Any, env: str, name: str) -> tuple[ServiceRef, Any]:
    """The live service ``name`` addresses in ``env`` and its description (any region)."""
    config: Config = ctx.config
    found = locate(config, lambda region: ctx.reader(env, "ecs", region), env, name)
    region = "" if found.region == config.environment(env).region else found.region
    return ServiceRef(env, found.cluster, found.service, region), found.raw


def service_ref(config: Config, env: str, name: str) -> ServiceRef:
    """The catalog service ``name`` (or CLUSTER/SERVICE) in ``env``'s first region, without
    reading anything: for what only the catalog names (traffic shifts)."""
    config.environment(env)
    if "/" in name:
        cluster, _, service = name.partition("/")
        if not cluster or not service:
            raise UsageError(f"service '{name}': use NAME or CLUSTER/SERVICE")
        return ServiceRef(env, cluster, service)
    entry = config.service(name)
    return ServiceRef(env, config.cluster_name(entry.cluster), name)


def catalog_name(ref: ServiceRef, config: Config) -> str | None:
    """The catalog's name for ``ref`` (None when the catalog does not list it)."""
    entry = config.services.get(ref.service)
    if entry and config.cluster_name(entry.cluster) == ref.cluster:
        return ref.service
    return None
