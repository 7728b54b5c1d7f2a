"""The simulator's picture of each account: hosts, address pools, services and their tasks.

Built once from moto's backends when the simulator starts (``discover``), then kept up to
date by the simulator itself and by the API hooks: the simulator never rescans the whole
estate, it only touches the services something happened to.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any

from sandbox.seed.context import backend
from sandbox.seed.metrics import profile_for
from sandbox.seed.plan import CRASH_LOOP_SERVICE, EnvPlan
from sandbox.seed.tasks import Host, IpPool, task_address
from sandbox.simulator import events as simulator_events

SECRET_LIKE = re.compile(r"PASSWORD|SECRET|TOKEN|KEY|CREDENTIAL", re.IGNORECASE)
LIVE = ("PROVISIONING", "PENDING", "ACTIVATING", "RUNNING")


@dataclass(eq=False)
class TaskSim:
    """One task the simulator drives."""

    task: Any  # moto Task
    deployment: str
    host: Host | None
    address: str | None
    healthy_once: bool = False  # passed its health checks (or has no target) at least once
    target: bool = False  # registered in the service's target group
    stopped_at: float | None = None
    failed: bool = False  # stopped before it ever became healthy

    @property
    def status(self) -> str:
        return str(self.task.last_status)

    @property
    def live(self) -> bool:
        return self.status in LIVE and self.task.desired_status != "STOPPED"

    @property
    def short_id(self) -> str:
        return str(self.task.id)


@dataclass(eq=False)
class ServiceSim:
    """One ECS service: its moto object, tasks, load balancer binding and history."""

    account: AccountSim
    service: Any  # moto Service
    secret_names: frozenset[str]
    crash_loops: bool
    tasks: dict[str, TaskSim] = field(default_factory=dict)  # task ARN -> task
    last_good: str | None = None  # task definition ARN of the last COMPLETED deployment
    placement_warned_at: float = 0.0
    crashes: int = 0
    steady_announced: bool = True
    last_retry: float = 0.0
    failed_until: dict[str, float] = field(default_factory=dict)  # FAILED deployment -> drop time
    just_stopped: list[str] = field(default_factory=list)  # task ids, for one event
    just_registered: int = 0  # targets, for one event

    @property
    def name(self) -> str:
        return str(self.service.name)

    @property
    def cluster(self) -> str:
        return str(self.service.cluster_name)

    @property
    def target_group(self) -> Any | None:
        for binding in self.service.load_balancers or []:
            group = self.account.elbv2.target_groups.get(binding.get("targetGroupArn"))
            if group is not None:
                return group
        return None

    @property
    def container_port(self) -> int | None:
        for binding in self.service.load_balancers or []:
            if binding.get("containerPort"):
                return int(binding["containerPort"])
        return None

    @property
    def security_group(self) -> str:
        config = (self.service.network_configuration or {}).get("awsvpcConfiguration", {})
        groups = config.get("securityGroups") or [""]
        return str(groups[0])

    def unstopped(self, deployment: str) -> list[TaskSim]:
        """The deployment's tasks that are not STOPPED yet (draining ones included)."""
        return [
            t for t in self.tasks.values() if t.deployment == deployment and t.status != "STOPPED"
        ]

    def live_tasks(self, deployment: str | None = None) -> list[TaskSim]:
        return [
            t for t in self.tasks.values()
            if t.live and (deployment is None or t.deployment == deployment)
        ]  # fmt: skip


@dataclass(eq=False)
class AccountSim:
    """One environment's account and region."""

    env: str
    account_id: str
    region: str
    ecs: Any
    elbv2: Any
    logs: Any
    hosts: dict[str, list[Host]] = field(default_factory=dict)  # cluster name -> hosts
    pools: dict[str, IpPool] = field(default_factory=dict)  # subnet id -> pool
    services: dict[tuple[str, str], ServiceSim] = field(default_factory=dict)

    def host(self, cluster: str, arn: str | None) -> Host | None:
        for host in self.hosts.get(cluster, []):
            if host.arn == arn:
                return host
        return None


def discover(plan: EnvPlan, crash_loop_service: str = CRASH_LOOP_SERVICE) -> AccountSim:
    """Read one account's estate from moto's backends."""
    account = AccountSim(
        env=plan.name,
        account_id=plan.account_id,
        region=plan.region,
        ecs=backend("ecs", plan.account_id, plan.region),
        elbv2=backend("elbv2", plan.account_id, plan.region),
        logs=backend("logs", plan.account_id, plan.region),
    )
    ec2 = backend("ec2", plan.account_id, plan.region)
    for cluster, instances in list(account.ecs.container_instances.items()):
        for instance in list(instances.values()):
            ec2_instance = ec2.get_instance(instance.ec2_instance_id)
            account.hosts.setdefault(cluster, []).append(
                Host(
                    instance.container_instance_arn,
                    instance.ec2_instance_id,
                    ec2_instance.availability_zone,
                    ec2_instance.subnet_id,
                    instance,
                )
            )
            _pool(account, ec2, ec2_instance.subnet_id)
    secrets = {s.name: frozenset(s.secrets) for s in plan.services}
    for service in list(account.ecs.services.values()):
        if service.status == "ACTIVE":
            adopt_service(account, service, secrets.get(service.name), crash_loop_service)
    return account


def _pool(account: AccountSim, ec2: Any, subnet_id: str) -> IpPool:
    pool = account.pools.get(subnet_id)
    if pool is None:
        subnet = ec2.get_subnet(subnet_id)
        network = ipaddress.IPv4Network(subnet.cidr_block)
        used = {
            str(eni.private_ip_address)
            for eni in list(ec2.enis.values())
            if eni.private_ip_address and ipaddress.IPv4Address(eni.private_ip_address) in network
        }
        pool = account.pools[subnet_id] = IpPool(subnet.cidr_block, used)
    return pool


def adopt_service(
    account: AccountSim,
    service: Any,
    secret_names: frozenset[str] | None = None,
    crash_loop_service: str = CRASH_LOOP_SERVICE,
) -> ServiceSim:
    """Start driving a moto service (seeded, or created through the API)."""
    if secret_names is None:
        secret_names = frozenset(
            e["name"]
            for definition in _container_definitions(account.ecs, service.task_definition)
            for e in definition.get("environment", [])
            if SECRET_LIKE.search(e["name"])
        )
    if getattr(service, "_opskit_profile", None) is None:
        service._opskit_profile = profile_for(
            service.name, account.env, service.desired_count, service.name == crash_loop_service
        )
    sim = ServiceSim(
        account=account,
        service=service,
        secret_names=secret_names,
        crash_loops=service._opskit_profile.crash_loops,
    )
    primary = next((d for d in service.deployments if d.get("status") == "PRIMARY"), None)
    if primary is not None and primary.get("rolloutState") == "COMPLETED":
        sim.last_good = primary.get("taskDefinition")
    group = f"service:{service.name}"
    for task in list(account.ecs.tasks.get(service.cluster_name, {}).values()):
        if task.group != group or task.last_status == "STOPPED":
            continue
        address = task_address(task) if task.attachments else None
        running = task.last_status == "RUNNING"
        sim.tasks[task.task_arn] = TaskSim(
            task=task,
            deployment=primary["id"] if primary else "",
            host=account.host(service.cluster_name, task.container_instance_arn),
            address=address,
            healthy_once=running,
            target=running and sim.target_group is not None,
        )
    account.services[(service.cluster_name, service.name)] = sim
    return sim


def _container_definitions(ecs: Any, task_definition: str | None) -> list[dict[str, Any]]:
    if not task_definition:
        return []
    try:
        return list(ecs.describe_task_definition(task_definition).container_definitions)
    except Exception:
        return []


def refresh_counts(svc: ServiceSim) -> None:
    """running/pending counts of the service and of each deployment."""
    service = svc.service
    running = pending = 0
    by_deployment: dict[str, list[int]] = {}
    for ts in svc.tasks.values():
        if ts.task.desired_status == "STOPPED" and ts.status != "RUNNING":
            continue
        counts = by_deployment.setdefault(ts.deployment, [0, 0])
        if ts.status == "RUNNING":
            running += 1
            counts[0] += 1
        elif ts.status in ("PROVISIONING", "PENDING", "ACTIVATING"):
            pending += 1
            counts[1] += 1
    service.running_count = running
    service.pending_count = pending
    for deployment in service.deployments:
        run, pend = by_deployment.get(deployment["id"], [0, 0])
        if deployment.get("runningCount") != run or deployment.get("pendingCount") != pend:
            simulator_events.touch(deployment, runningCount=run, pendingCount=pend)
        if deployment.get("status") == "PRIMARY":
            deployment["desiredCount"] = service.desired_count
        elif deployment.get("rolloutState") == "FAILED" or deployment.get("status") == "ACTIVE":
            deployment["desiredCount"] = run + pend
