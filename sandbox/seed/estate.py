"""The sandbox's demo estate, seeded from environments.toml: ``seed_estate(ctx)``.

Runs inside the sandbox server before IAM enforcement is switched on. Per environment
(one account each): network and ALBs (``estate_network``), ECS clusters, hosts, services
and running tasks (``estate_ecs``), log groups and start-up logs (``estate_logs``),
Route53 (``estate_dns``), and three hours of metrics (``estate_metrics``). It also installs
the moto patches the estate relies on (target health, metric store, ECS task states).

What readers rely on (the estate reader, ``opskit logs``, the TUI):

Names
  VPC ``10.<10+order>.0.0/16``; ALB ``<env>-<concern>``; target group ``<env>-<service>``
  (type ip, awsvpc tasks); cluster = the config's name; task definition family =
  service name, one container named after the service; DNS ``<dns>.<zone>`` alias to
  the ALB; weighted ``[traffic.*]`` records with SetIdentifier = set label.
Logs (awslogs driver)
  group ``/ecs/<service>``, stream ``ecs/<container>/<task id>``.
Metrics (CloudWatch, one point a minute for the last 3 hours, then every 10 s; 30 s at
the large scale; unit Percent)
  - AWS/ECS ``CPUUtilization``, ``MemoryUtilization``: dims ClusterName, ServiceName
    (service) and ClusterName alone (cluster);
  - AWS/ECS ``CPUReservation``, ``MemoryReservation``: dims ClusterName;
  - ECS/ContainerInsights ``instance_cpu_utilization``, ``instance_memory_utilization``:
    dims ClusterName, ContainerInstanceId (the container instance ARN's last part),
    EC2InstanceId;
  - AWS/EC2 ``CPUUtilization``: dims InstanceId;
  - AWS/ApplicationELB ``HealthyHostCount``, ``UnHealthyHostCount`` (unit Count): dims
    LoadBalancer (``app/<name>/<id>``), TargetGroup (``targetgroup/<name>/<id>``);
  - ECS/ContainerInsights per task and per container (``CpuUtilized``,
    ``ContainerCpuUtilized``, ``ContainerMemoryUtilized``…, one point a minute) on clusters
    whose ``containerInsights`` is ``enhanced``: every cluster but ``edge``
    (``container_metrics``).
Secrets
  the config's secret names are plain environment variables of the container carrying
  the catalog's canary values (the legacy pattern opskit must redact).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sandbox.seed import cloudwatch as estate_cloudwatch
from sandbox.seed import shapes
from sandbox.seed import targets as estate_targets
from sandbox.seed.cloudwatch import store_for
from sandbox.seed.container_metrics import seed_container_insights
from sandbox.seed.context import EstateContext, backend
from sandbox.seed.dns import seed_traffic, seed_zone
from sandbox.seed.ecs import seed_clusters, seed_services
from sandbox.seed.extras import seed_extras
from sandbox.seed.logs import create_log_groups, seed_logs
from sandbox.seed.metrics import seed_history
from sandbox.seed.network import Network, seed_network, seed_target_groups
from sandbox.seed.plan import EnvPlan
from sandbox.seed.plans import plan_estate
from sandbox.seed.tasks import IpPool, freeze_moto_task_states

log = logging.getLogger(__name__)


@dataclass
class SeedReport:
    """What was seeded and how long each step took (seconds)."""

    environments: int = 0
    services: int = 0
    tasks: int = 0
    datapoints: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def took(self, step: str, started: float) -> None:
        self.seconds[step] = self.seconds.get(step, 0.0) + time.perf_counter() - started


def install_patches(time_factor: float) -> None:
    """The moto behaviour the estate and the simulator rely on (idempotent)."""
    estate_targets.install()
    estate_targets.configure(time_factor)
    estate_cloudwatch.install()
    freeze_moto_task_states()


def seed_estate(ctx: EstateContext) -> SeedReport:
    """Create every environment's estate from the config (and the scale) of ``ctx``."""
    report = SeedReport()
    install_patches(ctx.time_factor)
    plans = plan_estate(ctx.config, ctx.scale)
    networks: dict[str, Network] = {}
    secondary: list[tuple[EnvPlan, Network]] = []
    for plan in plans:
        network = _seed_environment(ctx, plan, report)
        if plan.primary:
            networks[plan.name] = network
        else:
            secondary.append((plan, network))
    started = time.perf_counter()
    primary = [plan for plan in plans if plan.primary]
    by_name = {plan.name: plan for plan in primary}
    zones = {plan.name: seed_zone(ctx, plan, networks[plan.name]) for plan in primary}
    for plan in primary:
        seed_traffic(ctx, plan, networks, by_name)
    for plan, network in secondary:
        shapes.seed_secondary_records(ctx, plan, network, zones[plan.name])
    shapes.seed_scaling(ctx, plans)
    report.took("dns", started)
    seed_extras(ctx, plans)  # sidecar, a service behind, standalone and scheduled tasks
    started = time.perf_counter()
    report.datapoints += seed_container_insights(plans)  # per task and container, enhanced
    report.took("container insights", started)
    report.environments = len(primary)
    log.info("sandbox estate seeded: %s", report)
    return report


def _seed_environment(ctx: EstateContext, plan: EnvPlan, report: SeedReport) -> Network:
    started = time.perf_counter()
    network = seed_network(ctx, plan)
    hosts = seed_clusters(ctx, plan, network)
    report.took("network and hosts", started)
    started = time.perf_counter()
    seed_target_groups(plan, network)
    create_log_groups(plan)
    pools = {subnet.id: IpPool(subnet.cidr) for subnet in network.subnets}
    seed_services(plan, network, hosts, pools)
    report.took("services and tasks", started)
    ecs = backend("ecs", plan.account_id, plan.region)
    started = time.perf_counter()
    report.tasks += seed_logs(plan, ecs)
    report.took("logs", started)
    started = time.perf_counter()
    report.datapoints += seed_history(
        ecs, store_for(plan.account_id, plan.region), seed=f"history-{plan.name}"
    )
    report.took("metrics", started)
    report.services += len(plan.services)
    return network
