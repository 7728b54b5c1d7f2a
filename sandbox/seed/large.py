"""The large estate: every environment × 3 clusters × 100 services, 3 tasks each, 4 hosts.

For benchmarks and for measuring the TUI's idle CPU against a realistically big estate
(``opskit sandbox start --scale large``). The config's catalog services keep their images,
ports and secrets; each cluster is filled up to ``SERVICES_PER_CLUSTER`` with generated
services named ``<concern>-<domain>-<nn>``. Hosts are big (``HOST_TYPE``) so that 75 tasks
fit on each of the four.
"""

from __future__ import annotations

from opskit.config import Config
from sandbox.seed.plan import (
    CRASH_LOOP_SERVICE,
    ClusterPlan,
    EnvPlan,
    ServicePlan,
    canary_value,
    secret_values,
    traffic_plans,
)

SERVICES_PER_CLUSTER = 100
TASKS_PER_SERVICE = 3
HOSTS_PER_CLUSTER = 4
HOST_TYPE = "m5.8xlarge"
CLUSTERS = ("api", "cdn", "app")
DOMAINS = (
    "orders", "payments", "search", "catalog", "pricing", "inventory", "shipping", "users",
    "sessions", "media", "reviews", "ledger", "invoices", "notify", "reports", "geo",
    "ratings", "quotes", "carts", "tokens", "feeds", "exports", "imports", "audit", "rules",
)  # fmt: skip


def plan_large_estate(config: Config) -> list[EnvPlan]:
    """Plans for every configured environment at the large scale."""
    secrets = secret_values(config)
    clusters = _clusters(config)
    plans = []
    for index, env in enumerate(config.env_names()):
        environment = config.environments[env]
        services: list[ServicePlan] = []
        for cluster in clusters:
            services.extend(_services(config, cluster, secrets))
        plans.append(
            EnvPlan(
                name=env,
                account_id=environment.account_id,
                region=environment.region,
                index=index,
                zone=config.dns.zone_for(env),
                clusters=tuple(clusters),
                services=tuple(services),
                traffic=traffic_plans(config, env),
            )
        )
    return plans


def _clusters(config: Config) -> list[ClusterPlan]:
    keys = list(config.clusters)[:3]
    keys += [name for name in CLUSTERS if name not in keys][: 3 - len(keys)]
    return [
        ClusterPlan(
            key=key,
            name=config.cluster_name(key) if key in config.clusters else key,
            concern=config.clusters[key].concern if key in config.clusters else key,
            host_count=HOSTS_PER_CLUSTER,
            instance_type=HOST_TYPE,
        )
        for key in keys
    ]


def _services(
    config: Config, cluster: ClusterPlan, secrets: dict[str, dict[str, str]]
) -> list[ServicePlan]:
    services = [
        ServicePlan(
            name=name,
            cluster=cluster.key,
            cluster_name=cluster.name,
            image=service.image,
            port=service.port,
            health_check=service.health_check,
            dns=service.dns,
            env=dict(service.env),
            secrets=secrets.get(name, {}),
            desired=TASKS_PER_SERVICE,
            cpu=256,
            memory=512,
            crash_loops=name == CRASH_LOOP_SERVICE,
        )
        for name, service in config.services.items()
        if service.cluster == cluster.key
    ][:SERVICES_PER_CLUSTER]
    number = 0
    while len(services) < SERVICES_PER_CLUSTER:
        domain = DOMAINS[number % len(DOMAINS)]
        name = f"{cluster.concern}-{domain}-{number // len(DOMAINS) + 1:02d}"
        number += 1
        web = number % 5 != 0  # four in five serve HTTP behind the ALB; the rest are workers
        services.append(
            ServicePlan(
                name=name,
                cluster=cluster.key,
                cluster_name=cluster.name,
                image=f"ghcr.io/acme/{name}:1.{number % 30}.{number % 7}",
                port=8080 if web else None,
                health_check="/healthz" if web else None,
                dns=name if web else None,
                env={"LOG_LEVEL": "info", "DOMAIN": domain},
                secrets={"DATABASE_PASSWORD": canary_value(name, "DATABASE_PASSWORD")}
                if web
                else {},
                desired=TASKS_PER_SERVICE,
                cpu=256,
                memory=512,
            )
        )
    return services
