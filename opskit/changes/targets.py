"""Naming the ECS services a change acts on, and the keys its diffs and locks use.

A service is named as the catalog names it (``api``: the cluster comes from
environments.toml) or as ``CLUSTER/SERVICE`` for one the catalog does not list.
"""

from __future__ import annotations

from dataclasses import dataclass

from opskit.changes.plan import resource_id
from opskit.config import Config
from opskit.errors import UsageError


@dataclass(frozen=True)
class ServiceRef:
    """One ECS service in one environment."""

    env: str
    cluster: str
    service: str

    @property
    def resource(self) -> str:
        """The resource id diffs and locks use: ``ENV/ecs/service/CLUSTER/SERVICE``."""
        return resource_id(self.env, "ecs", "service", self.cluster, self.service)

    @property
    def label(self) -> str:
        return f"{self.cluster}/{self.service}"

    @classmethod
    def from_resource(cls, resource: str) -> ServiceRef:
        env, _, _, cluster, service = resource.split("/", 4)
        return cls(env, cluster, service)


def service_ref(config: Config, env: str, name: str) -> ServiceRef:
    """The service ``name`` (catalog name or CLUSTER/SERVICE) in ``env``."""
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
