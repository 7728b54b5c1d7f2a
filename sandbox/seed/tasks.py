"""ECS tasks as AWS shows them, made in moto's backend: placed, started, stopped, forgotten.

moto's RunTask places naively and its tasks carry no timestamps, no stop code and no
awsvpc address from the subnet; its ``Task`` starts RUNNING and only moves when described.
The seeder and the simulator create tasks through this module instead, on the cluster's
container instances (spread: fewest tasks of the service, then most free memory), with an
ENI whose address comes from the host's subnet, and with every field describe-tasks shows
(createdAt, pullStartedAt, startedAt, stoppingAt, stoppedAt, stopCode, containers' exit
codes and reasons, connectivity, availability zone).

Lifecycle (lastStatus): PROVISIONING -> PENDING -> RUNNING -> DEACTIVATING (draining) ->
STOPPING -> STOPPED. Resources on the host are held until STOPPED. Every change to a dict
moto iterates in request threads is copy-on-write, so a concurrent describe never sees a
dict change size under it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.core.utils import utcnow
from moto.ec2.utils import generate_dns_from_ip

from sandbox.seed.context import backend
from sandbox.seed.digests import image_digest

AGENT_RESERVED_MEMORY_MIB = 512
MOTO_TASK_MODEL = "ecs::task"


@dataclass
class Host:
    """A registered container instance and what it has left."""

    arn: str
    ec2_id: str
    az: str
    subnet_id: str
    instance: Any  # moto ContainerInstance

    def free(self, name: str) -> int:
        for resource in self.instance.remaining_resources:
            if resource["name"] == name:
                return int(resource["integerValue"])
        return 0

    def fits(self, cpu: int, memory: int) -> bool:
        return self.free("CPU") >= cpu and self.free("MEMORY") >= memory


@dataclass
class IpPool:
    """Private addresses of one subnet handed to task ENIs (skipping AWS's reserved five)."""

    cidr: str
    used: set[str] = field(default_factory=set)
    _cursor: int = 10

    def take(self) -> str:
        network = ipaddress.IPv4Network(self.cidr)
        size = network.num_addresses - 5
        for _ in range(size):
            self._cursor = self._cursor + 1 if self._cursor + 1 < size else 10
            address = str(network.network_address + self._cursor)
            if address not in self.used:
                self.used.add(address)
                return address
        raise RuntimeError(f"subnet {self.cidr} has no free address left")

    def give_back(self, address: str) -> None:
        self.used.discard(address)


def set_resources(container_instance: Any, cpu: int, memory: int) -> None:
    """Make a container instance register (and have left) this much CPU and memory."""
    for listing in (
        container_instance.registered_resources,
        container_instance.remaining_resources,
    ):
        for resource in listing:
            if resource["name"] == "CPU":
                resource["integerValue"] = cpu
            elif resource["name"] == "MEMORY":
                resource["integerValue"] = memory


def instance_capacity(instance_type: str) -> tuple[int, int]:
    """(CPU units, memory MiB) an ECS agent registers on this EC2 instance type."""
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    spec = INSTANCE_TYPES.get(instance_type)
    if spec is None:
        return 2048, 8192 - AGENT_RESERVED_MEMORY_MIB
    vcpus = int(spec["VCpuInfo"]["DefaultVCpus"])
    memory = int(spec["MemoryInfo"]["SizeInMiB"])
    return vcpus * 1024, memory - AGENT_RESERVED_MEMORY_MIB


def choose_host(
    hosts: Iterable[Host], cpu: int, memory: int, per_host: dict[str, int]
) -> Host | None:
    """Spread: the fitting host with the fewest of the service's tasks, then most memory."""
    best: Host | None = None
    best_key: tuple[int, int] | None = None
    for host in hosts:
        if host.instance.status != "ACTIVE" or not host.fits(cpu, memory):
            continue
        key = (per_host.get(host.arn, 0), -host.free("MEMORY"))
        if best_key is None or key < best_key:
            best, best_key = host, key
    return best


def create_task(
    *,
    ecs: Any,
    cluster_name: str,
    task_definition: Any,
    host: Host,
    address: str | None,
    security_group: str,
    group: str,
    started_by: str,
    status: str = "PROVISIONING",
) -> Any:
    """A new task on ``host`` (awsvpc: with an ENI at ``address``), in moto's backend."""
    from moto.ecs.models import Task

    cluster = ecs.clusters[cluster_name]
    requirements = ecs._calculate_task_resource_requirements(task_definition)
    task: Any = Task(
        cluster,
        task_definition,
        host.arn,
        requirements,
        backend=ecs,
        group=group,
        launch_type="EC2",
        started_by=started_by,
        networking_configuration={
            "awsvpcConfiguration": {"subnets": [host.subnet_id], "securityGroups": [security_group]}
        },
    )
    if address is not None and task.attachments:
        _readdress(task, address)
    now = utcnow()
    task.created_at = now
    task.availability_zone = host.az
    task.cpu = str(task_definition.cpu or requirements["CPU"])
    task.memory = str(task_definition.memory or requirements["MEMORY"])
    task.connectivity = "CONNECTED"
    task.connectivity_at = now
    task.health_status = "UNKNOWN"
    task.version = 1
    task.enable_execute_command = False
    task.last_status = status
    for container in task.containers:  # every container of the definition (moto_patches)
        container.last_status = "PENDING"
        container.exitCode = None
        container.health_status = "UNKNOWN"
        container.runtime_id = hashlib.sha256(f"{task.id}/{container.name}".encode()).hexdigest()
        container.image_digest = image_digest(str(container.image))
        if address is not None and task.attachments:
            container.network_interfaces = [
                {"attachmentId": task.attachments[0]["id"], "privateIpv4Address": address}
            ]
    ecs.update_container_instance_resources(host.instance, requirements)
    tasks = dict(ecs.tasks.get(cluster_name, {}))
    tasks[task.task_arn] = task
    ecs.tasks[cluster_name] = tasks
    if status == "RUNNING":
        mark_running(task, now)
    return task


def _readdress(task: Any, address: str) -> None:
    """Give the task's ENI (random in moto) an address of its subnet."""
    details = {d["name"]: d for d in task.attachments[0]["details"]}
    eni = backend("ec2", task._account_id, task.region_name).get_network_interface(
        details["networkInterfaceId"]["value"]
    )
    dns = generate_dns_from_ip(address)
    eni.private_ip_address = address
    eni.private_ip_addresses = [
        {"Primary": True, "PrivateIpAddress": address, "PrivateDnsName": dns}
    ]
    eni.private_dns_name = dns
    details["privateIPv4Address"]["value"] = address
    details["privateDnsName"]["value"] = dns


def task_address(task: Any) -> str:
    """The task's private IPv4 address (its awsvpc ENI)."""
    for detail in task.attachments[0]["details"]:
        if detail["name"] == "privateIPv4Address":
            return str(detail["value"])
    raise ValueError(f"task {task.id} has no ENI address")


def mark_pending(task: Any) -> None:
    task.last_status = "PENDING"
    task.pull_started_at = utcnow()


def mark_running(task: Any, now: Any = None) -> None:
    now = now or utcnow()
    task.last_status = "RUNNING"
    task.pull_started_at = getattr(task, "pull_started_at", None) or now
    task.pull_stopped_at = now
    task.started_at = now
    task.health_status = "HEALTHY"
    for index, container in enumerate(task.containers):
        container.last_status = "RUNNING"
        # the first (essential) container has the health check; sidecars here have none
        container.health_status = "HEALTHY" if index == 0 else "UNKNOWN"


def begin_stop(
    task: Any,
    *,
    reason: str,
    stop_code: str,
    exit_code: int | None = None,
    container_reason: str | None = None,
    draining: bool = False,
) -> None:
    """Ask a task to stop: DEACTIVATING while its target drains, else STOPPING."""
    now = utcnow()
    task.desired_status = "STOPPED"
    task.stopped_reason = reason
    task.stop_code = stop_code
    task.stopping_at = now
    task.last_status = "DEACTIVATING" if draining else "STOPPING"
    container = task.containers[0]
    if exit_code is not None:
        container.exitCode = exit_code
        task.execution_stopped_at = now
    if container_reason:
        container.reason = container_reason


def finish_stop(ecs: Any, task: Any, host: Host | None) -> None:
    """The task is STOPPED: its host gets its resources back and its ENI is deleted."""
    now = utcnow()
    task.last_status = "STOPPED"
    task.desired_status = "STOPPED"
    task.stopped_at = now
    task.execution_stopped_at = getattr(task, "execution_stopped_at", None) or now
    task.connectivity = None
    task.health_status = "UNKNOWN"
    for container in task.containers:
        container.last_status = "STOPPED"
        container.health_status = "UNKNOWN"
        if container.exitCode is None and getattr(task, "started_at", None) is not None:
            container.exitCode = 0  # stopped by ECS after it ran: SIGTERM, a clean exit
    if host is not None:
        ecs.update_container_instance_resources(
            host.instance, task.resource_requirements, removing=True
        )
    for attachment in task.attachments:
        attachment["status"] = "DELETED"
        for detail in attachment["details"]:
            if detail["name"] == "networkInterfaceId":
                ec2 = backend("ec2", task._account_id, task.region_name)
                ec2.enis.pop(detail["value"], None)


def forget_task(ecs: Any, task: Any) -> None:
    """Remove a stopped task from moto's backend (AWS forgets them after about an hour)."""
    tasks = dict(ecs.tasks.get(task.cluster_name, {}))
    tasks.pop(task.task_arn, None)
    ecs.tasks[task.cluster_name] = tasks


def freeze_moto_task_states() -> None:
    """Stop moto moving tasks toward STOPPED on every describe: we move them ourselves."""
    from moto.moto_api import state_manager

    state_manager.set_transition(
        model_name=MOTO_TASK_MODEL, transition={"progression": "manual", "times": 10**12}
    )
