"""The read model of the estate: immutable values from a Snapshot down to a target.

Snapshot -> EnvironmentState -> ClusterState -> ServiceState -> TaskState, with the
environment's load balancers, target groups and DNS records beside its clusters, and CPU /
memory Series per cluster, service and container instance. Everything is a frozen dataclass
of tuples, so a snapshot can be handed to another thread (the TUI) without copying and never
changes under its reader. Task-definition environment variables are kept by *name* only:
a value (maybe a secret) never enters the model, so it cannot reach a screen.

``overview`` depth leaves per-target health (``TargetGroupState.targets``), draining delays
and task definitions out (``None``); ``detail`` depth fills them for one service.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Depth(StrEnum):
    """How much a read fetches: ``overview`` for the whole estate, ``detail`` for one service."""

    overview = "overview"
    detail = "detail"


class StopKind(StrEnum):
    """Why a task stopped, classified from its stop code, stopped reason and containers."""

    none = ""  # not stopped
    oom = "oom"
    image_pull = "image-pull"
    health_check = "health-check"
    essential_exit = "essential-exit"
    start_failure = "start-failure"
    user_stop = "user-stop"
    scaling = "scaling"
    deployment = "deployment"
    host = "host"
    other = "other"


@dataclass(frozen=True)
class Series:
    """One metric over time (oldest first); values are percentages for utilization."""

    metric: str  # "cpu" | "memory"
    timestamps: tuple[dt.datetime, ...] = ()
    values: tuple[float, ...] = ()

    @property
    def latest(self) -> float | None:
        return self.values[-1] if self.values else None

    @property
    def peak(self) -> float | None:
        return max(self.values) if self.values else None


@dataclass(frozen=True)
class Utilization:
    """CPU and memory series of one cluster, service or instance (None: no data)."""

    cpu: Series | None = None
    memory: Series | None = None


@dataclass(frozen=True)
class ContainerState:
    """A container of a running or stopped task."""

    name: str
    image: str
    tag: str
    last_status: str = ""
    exit_code: int | None = None
    reason: str = ""
    health: str = "UNKNOWN"


@dataclass(frozen=True)
class TaskState:
    """One ECS task; ``stop_kind`` classifies ``stopped_reason`` (see ``classify.py``)."""

    arn: str
    id: str
    service: str  # "" for a task that no service started
    task_definition: str  # family:revision
    last_status: str
    desired_status: str
    health: str = "UNKNOWN"
    started_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None
    stop_code: str = ""
    stopped_reason: str = ""
    stop_kind: StopKind = StopKind.none
    container_instance: str = ""  # container instance id (EC2 launch type)
    containers: tuple[ContainerState, ...] = ()
    group: str = ""  # "service:NAME" for a service's task, else e.g. "family:backfill"
    started_by: str = ""  # the deployment id, or who ran it ("ops/backfill", "events-rule/…")

    @property
    def standalone(self) -> bool:
        """Run by RunTask, a schedule or a batch job rather than by a service."""
        return not self.service


@dataclass(frozen=True)
class ContainerDefinition:
    """A container of a task definition; environment variables by name only."""

    name: str
    image: str
    tag: str
    cpu: int = 0
    memory: int | None = None
    essential: bool = True
    ports: tuple[int, ...] = ()
    env_names: tuple[str, ...] = ()
    secret_names: tuple[str, ...] = ()
    health_check: tuple[str, ...] = ()  # the container health check command, if any
    log_group: str = ""  # awslogs options (empty when not the awslogs driver)
    log_stream_prefix: str = ""
    log_region: str = ""


@dataclass(frozen=True)
class TaskDefinitionState:
    arn: str
    family: str
    revision: int
    cpu: str = ""
    memory: str = ""
    containers: tuple[ContainerDefinition, ...] = ()


@dataclass(frozen=True)
class DeploymentState:
    """One entry of a service's ``deployments`` (PRIMARY, ACTIVE, …)."""

    id: str
    status: str
    task_definition: str  # family:revision
    rollout_state: str = ""  # IN_PROGRESS | COMPLETED | FAILED | ""
    rollout_reason: str = ""
    desired: int = 0
    running: int = 0
    pending: int = 0
    failed_tasks: int = 0
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class ServiceEvent:
    at: dt.datetime | None
    message: str


@dataclass(frozen=True)
class LoadBalancerBinding:
    """A service's load balancer entry: which container port feeds which target group."""

    target_group_arn: str
    container_name: str
    container_port: int


@dataclass(frozen=True)
class TargetState:
    """A registered target and its health (detail depth only)."""

    id: str  # instance id or IP
    port: int
    state: str  # initial | healthy | unhealthy | unused | draining | unavailable
    reason: str = ""
    description: str = ""


@dataclass(frozen=True)
class TargetGroupState:
    """A target group; ``targets`` and ``deregistration_delay`` are None at overview depth."""

    arn: str
    name: str
    port: int | None
    protocol: str
    health_check_path: str
    load_balancer_arns: tuple[str, ...] = ()
    deregistration_delay: int | None = None
    targets: tuple[TargetState, ...] | None = None
    region: str = ""

    @property
    def unhealthy(self) -> int | None:
        if self.targets is None:
            return None
        return sum(1 for t in self.targets if t.state == "unhealthy")


@dataclass(frozen=True)
class LoadBalancerState:
    arn: str
    name: str
    dns_name: str
    type: str
    scheme: str
    state: str
    region: str = ""


@dataclass(frozen=True)
class DnsRecord:
    """A Route53 record; weighted sets carry ``set_identifier`` and ``weight``."""

    zone: str
    name: str
    type: str
    values: tuple[str, ...] = ()
    alias_target: str = ""
    set_identifier: str = ""
    weight: int | None = None
    ttl: int | None = None
    load_balancer: str = ""  # name of the load balancer it points at, if one of ours
    target_env: str = ""  # the environment that load balancer is in


@dataclass(frozen=True)
class HealthSummary:
    """What needs attention on a service; ``unhealthy_targets`` is None when not read."""

    crash_looping: bool = False
    deployment_in_progress: bool = False
    deployment_failed: bool = False
    unhealthy_targets: int | None = None
    missing_tasks: int = 0  # desired - running, when positive

    @property
    def ok(self) -> bool:
        return not (
            self.crash_looping
            or self.deployment_failed
            or self.missing_tasks
            or self.unhealthy_targets
        )


@dataclass(frozen=True)
class ServiceState:
    """An ECS service with its tasks, deployments, bindings, DNS names and health."""

    name: str
    arn: str
    cluster: str
    status: str
    desired: int
    running: int
    pending: int
    task_definition: str  # family:revision of the PRIMARY deployment
    images: tuple[str, ...] = ()  # image references seen on its tasks (or definition)
    launch_type: str = ""
    deployments: tuple[DeploymentState, ...] = ()
    events: tuple[ServiceEvent, ...] = ()  # newest first
    load_balancers: tuple[LoadBalancerBinding, ...] = ()
    target_groups: tuple[TargetGroupState, ...] = ()
    dns_names: tuple[str, ...] = ()
    tasks: tuple[TaskState, ...] = ()  # running (and, at detail depth, recently stopped)
    health: HealthSummary = field(default_factory=HealthSummary)
    utilization: Utilization = field(default_factory=Utilization)
    definition: TaskDefinitionState | None = None  # detail depth
    created_at: dt.datetime | None = None
    latest_revision: int | None = None  # newest ACTIVE revision of its family; None: unknown

    @property
    def revision(self) -> int | None:
        """The revision it runs (of its PRIMARY deployment)."""
        number = self.task_definition.rsplit(":", 1)[-1]
        return int(number) if number.isdigit() else None

    @property
    def behind(self) -> int:
        """How many revisions newer than the one it runs its family has (0: up to date)."""
        if self.latest_revision is None or self.revision is None:
            return 0
        return max(0, self.latest_revision - self.revision)

    @property
    def revision_text(self) -> str:
        """``running :4, latest :5`` when behind, else ``:4`` (``:4, latest ?`` if unknown)."""
        running = f":{self.revision}" if self.revision is not None else self.task_definition
        if self.latest_revision is None:
            return f"running {running}, latest ?"
        if self.behind:
            return f"running {running}, latest :{self.latest_revision}"
        return f"running {running} (latest)"

    unknown: Mapping[str, Unread] = field(default_factory=dict)  # detail: failed family -> why
    container_metrics: ContainerMetrics | None = None  # per container (show, the task view)

    @property
    def tags(self) -> tuple[str, ...]:
        """Image tags in use (``1.42.0``), in image order, without repeats."""
        return tuple(dict.fromkeys(image_tag(i) for i in self.images))


@dataclass(frozen=True)
class InstanceState:
    """An ECS container instance (an EC2 host) with its capacity and agent state."""

    id: str  # container instance id
    arn: str
    ec2_instance_id: str
    instance_type: str
    status: str
    agent_connected: bool
    cpu_registered: int
    cpu_remaining: int
    memory_registered: int
    memory_remaining: int
    running_tasks: int = 0
    pending_tasks: int = 0
    utilization: Utilization = field(default_factory=Utilization)


@dataclass(frozen=True)
class ScheduledTask:
    """An EventBridge rule or EventBridge Scheduler schedule that runs ECS tasks on a cluster."""

    source: str  # "rule" (EventBridge) | "schedule" (EventBridge Scheduler)
    name: str  # the rule's name, or "group/name" of a schedule
    expression: str  # rate(1 hour), cron(…), at(…); "" for a rule on an event pattern
    state: str  # ENABLED | DISABLED
    cluster: str  # the target cluster's name
    task_definition: str  # family:revision (or the family: its latest revision)
    count: int = 1
    group: str = ""
    launch_type: str = ""
    region: str = ""


@dataclass(frozen=True)
class ClusterState:
    """An ECS cluster and what runs on it; ``concern`` comes from the config."""

    name: str
    arn: str
    concern: str
    status: str
    region: str
    instances: tuple[InstanceState, ...] = ()
    services: tuple[ServiceState, ...] = ()
    utilization: Utilization = field(default_factory=Utilization)
    tasks: tuple[TaskState, ...] = ()  # standalone tasks: RunTask, schedules, batch
    schedules: tuple[ScheduledTask, ...] | None = ()  # None: could not be read

    def service(self, name: str) -> ServiceState | None:
        return next((s for s in self.services if s.name == name), None)

    @property
    def cpu_registered(self) -> int:
        return sum(i.cpu_registered for i in self.instances)

    @property
    def cpu_remaining(self) -> int:
        return sum(i.cpu_remaining for i in self.instances)

    @property
    def memory_registered(self) -> int:
        return sum(i.memory_registered for i in self.instances)

    @property
    def memory_remaining(self) -> int:
        return sum(i.memory_remaining for i in self.instances)

    @property
    def running_tasks(self) -> int:
        """Services' running tasks and standalone ones."""
        return sum(s.running for s in self.services) + self.standalone_running

    @property
    def standalone_running(self) -> int:
        return sum(1 for t in self.tasks if t.last_status == "RUNNING")


@dataclass(frozen=True)
class Unread:
    """Why an API family (``ecs``, ``elbv2``, ``route53``, ``metrics``) could not be read,
    and the exit code of that failure (4 denied, 5 AWS)."""

    reason: str
    exit_code: int


@dataclass(frozen=True)
class EnvironmentState:
    """One environment (one account) as read; ``error`` set means it failed (partly or all)."""

    name: str
    account: str
    region: str
    colour: str
    protected: bool
    fetched_at: dt.datetime
    error: str | None = None
    regions: tuple[str, ...] = ()
    clusters: tuple[ClusterState, ...] = ()
    load_balancers: tuple[LoadBalancerState, ...] = ()
    target_groups: tuple[TargetGroupState, ...] = ()
    dns: tuple[DnsRecord, ...] = ()
    calls: Mapping[str, int] = field(default_factory=dict)  # "ecs.DescribeServices" -> n
    seconds: float = 0.0
    warnings: tuple[str, ...] = ()  # parts left unknown that fail nothing (e.g. schedules)

    unknown: Mapping[str, Unread] = field(default_factory=dict)  # failed API family -> why

    @property
    def ok(self) -> bool:
        return self.error is None

    def cluster(self, name: str) -> ClusterState | None:
        return next((c for c in self.clusters if c.name == name), None)

    def services(self) -> Iterator[tuple[ClusterState, ServiceState]]:
        for cluster in self.clusters:
            for service in cluster.services:
                yield cluster, service

    def service(self, name: str) -> ServiceState | None:
        return next((s for _, s in self.services() if s.name == name), None)


@dataclass(frozen=True)
class Snapshot:
    """The estate across environments at one moment, with the API calls it cost."""

    environments: tuple[EnvironmentState, ...]
    fetched_at: dt.datetime
    depth: Depth = Depth.overview
    calls: Mapping[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def env(self, name: str) -> EnvironmentState | None:
        return next((e for e in self.environments if e.name == name), None)

    @property
    def errors(self) -> dict[str, str]:
        """Failed environments and why."""
        return {e.name: e.error for e in self.environments if e.error is not None}

    @property
    def complete(self) -> bool:
        return not self.errors

    def missing(self, families: Iterable[str]) -> dict[str, Unread]:
        """Environments where one of ``families`` could not be read, with its failure."""
        wanted = set(families)
        found = {}
        for env in self.environments:
            hit = next((u for f, u in env.unknown.items() if f in wanted), None)
            if hit is not None:
                found[env.name] = hit
        return found

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def image_tag(image: str) -> str:
    """The tag of an image reference (``repo:tag`` / ``repo@sha256:…``), else ``latest``."""
    if "@" in image:
        return image.rsplit("@", 1)[1]
    name = image.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[1] if ":" in name else "latest"


def to_data(value: Any) -> Any:
    """A JSON-ready structure of any model value (datetimes as ISO 8601, enums as values)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dt.datetime):  # in UTC, whatever zone the reader handed back
        return (value.astimezone(dt.UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_data(v) for v in value]
    return value


@dataclass(frozen=True)
class ContainerUsage:
    """One container's latest CPU and memory from Container Insights (None: no datapoint).

    CPU in CPU units (1024 = one vCPU), memory in MiB; ``*_percent`` = used / reserved.
    Reservations are whole numbers (ints); use is fractional.
    """

    task: str  # task id
    container: str
    cpu_used: float | None = None
    cpu_reserved: float | None = None
    cpu_percent: float | None = None
    memory_used: float | None = None
    memory_reserved: float | None = None
    memory_percent: float | None = None
    at: dt.datetime | None = None  # the datapoint's period start


@dataclass(frozen=True)
class ContainerMetrics:
    """Per-container figures of some tasks of one cluster, and why there are none.

    ``insights`` is the cluster's ``containerInsights`` setting: only ``enhanced`` publishes
    task and container metrics (``enabled``: cluster and service aggregates only;
    ``disabled``: nothing; ``""``: the setting could not be read). ``note`` says in one
    line why figures are missing ("Container Insights off for cluster edge").
    """

    cluster: str
    insights: str
    containers: tuple[ContainerUsage, ...] = ()
    note: str = ""
    period: int = 60
    read_at: dt.datetime | None = None

    def find(self, task: str, container: str) -> ContainerUsage | None:
        return next(
            (u for u in self.containers if u.task == task and u.container == container), None
        )
