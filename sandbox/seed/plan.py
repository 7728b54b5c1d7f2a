"""What the sandbox estate holds, decided from the config before anything is created.

Pure values: ``plan_normal_estate(config)`` turns environments.toml's clusters, service
catalog, DNS and traffic sections (or, for ``scale == "large"``, the synthetic catalog of
``estate_large``) into one ``EnvPlan`` per environment. The seeding modules only execute a
plan, so what the estate contains is unit-testable without a server.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from opskit.config import Config

REGION_AZS = ("a", "b", "c")
CRASH_LOOP_SERVICE = "integrations"
TG_NAME_MAX = 32
CANARY_PREFIX = "sandbox-canary-"


@dataclass(frozen=True)
class ClusterPlan:
    """One ECS cluster of one environment and its container instances."""

    key: str  # the config's cluster key
    name: str  # the AWS cluster name
    concern: str
    host_count: int
    instance_type: str


@dataclass(frozen=True)
class ServicePlan:
    """One ECS service of one environment: its task definition, size and front door."""

    name: str
    cluster: str  # the config's cluster key
    cluster_name: str  # the AWS cluster name
    image: str
    port: int | None
    health_check: str | None
    dns: str | None
    env: Mapping[str, str]
    secrets: Mapping[str, str]  # name -> canary value (plain env, named as secret in config)
    desired: int
    cpu: int
    memory: int
    crash_loops: bool = False
    scaling: tuple[int, int] | None = None  # an Application Auto Scaling target: min, max

    @property
    def container(self) -> str:
        """The (single, essential) container's name: the service's name."""
        return self.name

    @property
    def log_group(self) -> str:
        return f"/ecs/{self.name}"

    def target_group_name(self, env: str) -> str:
        """``<env>-<service>``, shortened with a hash suffix past AWS's 32 characters."""
        return short_name(f"{env}-{self.name}", TG_NAME_MAX)


@dataclass(frozen=True)
class WeightedSet:
    """One weighted record of a traffic shift: label -> the environment it points at."""

    label: str
    env: str
    weight: int


@dataclass(frozen=True)
class TrafficPlan:
    """A weighted DNS record (``[traffic.*]``) living in ``zone_env``'s account."""

    name: str
    zone_env: str
    record: str
    service: str
    sets: tuple[WeightedSet, ...]


@dataclass(frozen=True)
class EnvPlan:
    """Everything one environment's account holds."""

    name: str
    account_id: str
    region: str
    index: int  # position in display order: picks the VPC's CIDR
    zone: str
    clusters: tuple[ClusterPlan, ...]
    services: tuple[ServicePlan, ...]
    traffic: tuple[TrafficPlan, ...] = field(default=())
    primary: bool = True  # the environment's first region (its DNS zone lives there)

    @property
    def cidr(self) -> str:
        return f"10.{10 + self.index}.0.0/16"

    def subnet_cidrs(self) -> list[tuple[str, str]]:
        """(availability zone, CIDR) of the three private subnets."""
        return [
            (f"{self.region}{az}", f"10.{10 + self.index}.{16 * i}.0/20")
            for i, az in enumerate(REGION_AZS)
        ]

    def alb_name(self, cluster: ClusterPlan) -> str:
        return short_name(f"{self.name}-{cluster.concern}", TG_NAME_MAX)

    def services_of(self, cluster_key: str) -> list[ServicePlan]:
        return [s for s in self.services if s.cluster == cluster_key]


def short_name(name: str, limit: int) -> str:
    """``name`` if it fits in ``limit`` characters, else a prefix plus a stable hash."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:6]
    return f"{name[: limit - 7].rstrip('-')}-{digest}"


def plan_normal_estate(config: Config) -> list[EnvPlan]:
    """One plan per environment, in display order, from the config's catalog."""
    secrets = secret_values(config)
    plans = []
    for index, env in enumerate(config.env_names()):
        environment = config.environments[env]
        clusters = tuple(
            ClusterPlan(
                key=key,
                name=config.cluster_name(key),
                concern=cluster.concern,
                host_count=cluster.hosts[env].count if env in cluster.hosts else 0,
                instance_type=(
                    cluster.hosts[env].instance_type if env in cluster.hosts else "m5.large"
                ),
            )
            for key, cluster in config.clusters.items()
        )
        services = tuple(
            ServicePlan(
                name=name,
                cluster=service.cluster,
                cluster_name=config.cluster_name(service.cluster),
                image=service.image,
                port=service.port,
                health_check=service.health_check,
                dns=service.dns,
                env=dict(service.env),
                secrets=secrets.get(name, {}),
                desired=service.size[env].desired,
                cpu=service.size[env].cpu,
                memory=service.size[env].memory,
                crash_loops=name == CRASH_LOOP_SERVICE,
            )
            for name, service in config.services_in(env).items()
        )
        plans.append(
            EnvPlan(
                name=env,
                account_id=environment.account_id,
                region=environment.region,
                index=index,
                zone=config.dns.zone_for(env),
                clusters=clusters,
                services=services,
                traffic=traffic_plans(config, env),
            )
        )
    return plans


def traffic_plans(config: Config, env: str) -> tuple[TrafficPlan, ...]:
    """The weighted records whose zone lives in ``env``'s account."""
    return tuple(
        TrafficPlan(
            name=name,
            zone_env=shift.zone_env,
            record=shift.record,
            service=shift.service,
            sets=tuple(
                WeightedSet(label, target, shift.weights.get(label, 0))
                for label, target in shift.sets.items()
            ),
        )
        for name, shift in config.traffic.items()
        if shift.zone_env == env
    )


def canary_value(service: str, secret: str) -> str:
    """The value the sandbox gives a secret: recognisable (``CANARY_PREFIX``), never shown."""
    digest = hashlib.sha256(f"{service}/{secret}".encode()).hexdigest()[:8]
    return f"{CANARY_PREFIX}{service}-{secret.lower().replace('_', '-')}-{digest}"


def secret_values(config: Config) -> dict[str, dict[str, str]]:
    """service -> secret name -> its canary value, for every catalog service."""
    return {
        name: {secret: canary_value(name, secret) for secret in service.secrets}
        for name, service in config.services.items()
    }
