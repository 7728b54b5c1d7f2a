"""Estate shapes a real account has and a catalog does not describe, so tests meet them.

Added to the plans of ``plan_estate`` (pure values, like the rest of the plan):

- every region of an environment after its first holds an ``edge`` cluster (two hosts) with
  one service, ``edge-proxy``, behind its own ALB ``<env>-edge`` with registered, healthy
  targets, and a record ``edge.<zone>`` in the environment's zone (the zone lives in the
  first region's plan, so ``seed_secondary_records`` adds it afterwards);
- the first environment holds two services the catalog does not list: ``sweeper``, in its
  first and its last cluster (one name, two clusters), and ``reports`` in its last cluster,
  which has an Application Auto Scaling scalable target (``ecs:service:DesiredCount``,
  min 1, max 3) registered by ``seed_scaling``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from opskit.config import Config
from sandbox.seed.context import EstateContext, client
from sandbox.seed.dns import _alias, _apply
from sandbox.seed.network import Network
from sandbox.seed.plan import ClusterPlan, EnvPlan, ServicePlan

EDGE_CLUSTER = "edge"
EDGE_SERVICE = "edge-proxy"
SAME_NAME_SERVICE = "sweeper"
UNCATALOGUED_SERVICE = "reports"
SCALING_BOUNDS = (1, 3)  # the scalable target of ``reports``: min, max
SCALABLE_DIMENSION = "ecs:service:DesiredCount"


def add_shapes(config: Config, plans: list[EnvPlan]) -> list[EnvPlan]:
    """``plans`` with the uncatalogued services in the first, and one plan per extra region."""
    out = list(plans)
    if out and out[0].clusters:
        out[0] = dataclasses.replace(out[0], services=(*out[0].services, *_uncatalogued(out[0])))
    for plan in plans:
        for region in config.environment(plan.name).regions[1:]:
            out.append(_edge_region(plan, region))
    return out


def _service(name: str, cluster: ClusterPlan, image: str, **extra: Any) -> ServicePlan:
    values: dict[str, Any] = {
        "port": None, "health_check": None, "dns": None, "env": {"LOG_LEVEL": "info"},
        "secrets": {}, "desired": 1, "cpu": 256, "memory": 512,
    }  # fmt: skip
    values.update(extra)
    return ServicePlan(
        name=name, cluster=cluster.key, cluster_name=cluster.name, image=image, **values
    )


def _uncatalogued(plan: EnvPlan) -> list[ServicePlan]:
    first, last = plan.clusters[0], plan.clusters[-1]
    sweepers = [
        _service(SAME_NAME_SERVICE, cluster, "ghcr.io/acme/sweeper:0.4.1")
        for cluster in dict.fromkeys((first, last))
    ]
    reports = _service(
        UNCATALOGUED_SERVICE, last, "ghcr.io/acme/reports:1.2.0", scaling=SCALING_BOUNDS
    )
    return [*sweepers, reports]


def _edge_region(plan: EnvPlan, region: str) -> EnvPlan:
    edge = ClusterPlan(
        key=EDGE_CLUSTER, name=EDGE_CLUSTER, concern=EDGE_CLUSTER, host_count=2,
        instance_type="c5.large",
    )  # fmt: skip
    proxy = _service(
        EDGE_SERVICE, edge, "ghcr.io/acme/edge-proxy:1.0.3", port=8080,
        health_check="/health", dns="edge", desired=2,
    )  # fmt: skip
    return dataclasses.replace(
        plan, region=region, clusters=(edge,), services=(proxy,), traffic=(), primary=False
    )


def seed_secondary_records(
    ctx: EstateContext, plan: EnvPlan, network: Network, zone_id: str
) -> None:
    """The records of a non-first region's services, in the environment's zone."""
    route53 = client(ctx, plan.name, "route53")
    changes = [
        _alias(f"{s.dns}.{plan.zone}", network.albs[s.cluster].dns_name,
               network.albs[s.cluster].zone_id)
        for s in plan.services
        if s.dns and s.port is not None and s.cluster in network.albs
    ]  # fmt: skip
    _apply(route53, zone_id, changes)


def seed_scaling(ctx: EstateContext, plans: list[EnvPlan]) -> None:
    """A scalable target for each service whose plan has ``scaling`` (over HTTP)."""
    for plan in plans:
        for service in plan.services:
            if service.scaling is None:
                continue
            low, high = service.scaling
            aas = client(ctx, plan.name, "application-autoscaling", plan.region)
            aas.register_scalable_target(
                ServiceNamespace="ecs",
                ResourceId=f"service/{service.cluster_name}/{service.name}",
                ScalableDimension=SCALABLE_DIMENSION,
                MinCapacity=low,
                MaxCapacity=high,
            )
