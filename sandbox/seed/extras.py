"""Shapes real estates have beyond one container per service: ``seed_extras(ctx, plans)``.

Runs after every environment is seeded (the estate's services and tasks exist):

- **a sidecar**: ``app-web``'s task definition (revision 1) has a second, non-essential
  container ``datadog-agent`` (its own image, no port, no health check, awslogs stream
  ``ecs/datadog-agent/<task id>`` in ``/ecs/app-web``); its running tasks carry it, as
  AWS lists one container per definition.
- **a service behind its family**: in stage, ``billing`` runs ``billing:1`` while
  ``billing:2`` (tag ``BEHIND_TAG``) is registered and never deployed: a half-finished
  release.
- **a standalone task**: family ``backfill`` run on cluster ``app`` the way RunTask does
  (group ``family:backfill``, startedBy ``ops/backfill``); it keeps RUNNING, no service
  owns it, the simulator leaves it alone (it drives ``service:`` tasks only).
- **scheduled tasks**: an EventBridge rule ``nightly-report`` (``rate(1 hour)``) with an ECS
  target on cluster ``app`` (family ``nightly-report``), and an EventBridge Scheduler
  schedule ``default/cleanup`` (``cron(0 3 * * ? *)``) targeting cluster ``api`` (family
  ``cleanup``). Nothing runs them in the sandbox: they are listed, not fired.

Every environment gets them (but the behind service, stage only); names missing from the
plan (another catalog, the large scale) are skipped.
"""

from __future__ import annotations

import copy
import random
import time
from datetime import UTC, timedelta
from typing import Any

from moto.core.utils import utcnow

from sandbox.seed.context import EstateContext, backend
from sandbox.seed.ecs import LOG_STREAM_PREFIX, refresh_cluster_counts
from sandbox.seed.logs import RETENTION_DAYS, write
from sandbox.seed.plan import EnvPlan
from sandbox.seed.tasks import Host, IpPool, choose_host, create_task

SIDECAR_SERVICE = "app-web"
SIDECAR: dict[str, Any] = {
    "name": "datadog-agent",
    "image": "public.ecr.aws/datadog/agent:7.50.3",
    "cpu": 64,
    "memory": 256,
    "essential": False,
    "environment": [{"name": "DD_APM_ENABLED", "value": "true"}],
}
BEHIND_ENV, BEHIND_SERVICE, BEHIND_TAG = "stage", "billing", "2.1.0"
STANDALONE_CLUSTER, STANDALONE_FAMILY, STANDALONE_BY = "app", "backfill", "ops/backfill"
RULE_CLUSTER, RULE_NAME, RULE_EXPRESSION = "app", "nightly-report", "rate(1 hour)"
SCHEDULE_CLUSTER, SCHEDULE_NAME, SCHEDULE_EXPRESSION = "api", "cleanup", "cron(0 3 * * ? *)"
JOB_IMAGE = "ghcr.io/acme/jobs:1.4.0"


def seed_extras(ctx: EstateContext, plans: list[EnvPlan]) -> None:
    for plan in plans:
        ecs = backend("ecs", plan.account_id, plan.region)
        names = {s.name for s in plan.services}
        if SIDECAR_SERVICE in names:
            add_sidecar(plan, ecs)
        if plan.name == BEHIND_ENV and BEHIND_SERVICE in names:
            register_newer(ecs, BEHIND_SERVICE, BEHIND_TAG)
        network = _network(ecs)
        if network is None:
            continue
        clusters = {c.name for c in plan.clusters}
        if STANDALONE_CLUSTER in clusters:
            run_standalone(plan, ecs, network)
        if RULE_CLUSTER in clusters:
            seed_rule(ctx, plan, network)
        if SCHEDULE_CLUSTER in clusters:
            seed_schedule(ctx, plan, network)
        refresh_cluster_counts(ecs)


def _job_container(plan: EnvPlan, family: str) -> dict[str, Any]:
    return {
        "name": family,
        "image": JOB_IMAGE,
        "cpu": 256,
        "memory": 512,
        "essential": True,
        "command": [f"/app/bin/{family}"],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/ecs/{family}",
                "awslogs-region": plan.region,
                "awslogs-stream-prefix": LOG_STREAM_PREFIX,
            },
        },
    }


def _log_options(ecs: Any, family: str) -> dict[str, str]:
    definition = ecs.describe_task_definition(family)
    first = definition.container_definitions[0]
    return dict((first.get("logConfiguration") or {}).get("options") or {})


def add_sidecar(plan: EnvPlan, ecs: Any) -> None:
    """The sidecar in the service's running revision and in each of its live tasks."""
    from moto.ecs import models

    make: Any = models.Container  # abstract to mypy (CloudFormation hooks), concrete to moto
    service = next(
        (s for s in ecs.services.values() if s.name == SIDECAR_SERVICE and s.status == "ACTIVE"),
        None,
    )
    if service is None:
        return
    definition = ecs.describe_task_definition(service.task_definition)
    sidecar = copy.deepcopy(SIDECAR)
    sidecar["logConfiguration"] = {
        "logDriver": "awslogs",
        "options": _log_options(ecs, SIDECAR_SERVICE),
    }
    defaults: dict[str, Any] = {"portMappings": [], "mountPoints": [], "volumesFrom": []}
    definition.container_definitions = [*definition.container_definitions, {**defaults, **sidecar}]
    logs = backend("logs", plan.account_id, plan.region)
    options = sidecar["logConfiguration"]["options"]
    for task in list(ecs.tasks.get(service.cluster_name, {}).values()):
        if task.group != f"service:{SIDECAR_SERVICE}" or task.last_status == "STOPPED":
            continue
        container: Any = make(definition)
        container.name, container.image = sidecar["name"], sidecar["image"]
        container.cpu, container.memory = sidecar["cpu"], sidecar["memory"]
        container.environment = sidecar["environment"]
        container.last_status, container.health_status, container.exitCode = (
            "RUNNING",
            "UNKNOWN",
            None,
        )
        container.network_interfaces = list(task.containers[0].network_interfaces)
        task.containers = [*task.containers, container]
        started = (
            task.started_at.replace(tzinfo=UTC).timestamp() if task.started_at else time.time()
        )
        stream = (
            f"{options.get('awslogs-stream-prefix', LOG_STREAM_PREFIX)}/{sidecar['name']}/{task.id}"
        )
        write(logs, options.get("awslogs-group", f"/ecs/{SIDECAR_SERVICE}"), stream, [
            (started + 1, "INFO | CORE | Starting Datadog Agent v7.50.3"),
            (started + 2, "INFO | CORE | APM receiver listening on 0.0.0.0:8126"),
            (time.time() - 30, "INFO | CORE | Sent 1 series, 0 events, 0 service checks"),
        ])  # fmt: skip


def register_newer(ecs: Any, family: str, tag: str) -> None:
    """A newer revision of ``family`` with another image tag, deployed nowhere."""
    current = ecs.describe_task_definition(family)
    containers = copy.deepcopy(current.container_definitions)
    image = str(containers[0]["image"])
    containers[0]["image"] = image.rsplit(":", 1)[0] + ":" + tag
    ecs.register_task_definition(
        family=family,
        container_definitions=containers,
        network_mode=current.network_mode,
        tags=list(current.tags),
        requires_compatibilities=current.requires_compatibilities,
        cpu=current.cpu,
        memory=current.memory,
        execution_role_arn=current.execution_role_arn,
    )


def _register_job(plan: EnvPlan, ecs: Any, family: str) -> Any:
    logs = backend("logs", plan.account_id, plan.region)
    group = f"/ecs/{family}"
    if group not in logs.groups:
        logs.create_log_group(group, {"environment": plan.name}, RetentionInDays=RETENTION_DAYS)
    return ecs.register_task_definition(
        family=family,
        container_definitions=[_job_container(plan, family)],
        network_mode="awsvpc",
        tags=[{"key": "job", "value": family}],
        requires_compatibilities=["EC2"],
        cpu="256",
        memory="512",
        execution_role_arn=f"arn:aws:iam::{plan.account_id}:role/ecsTaskExecutionRole",
    )


def _network(ecs: Any) -> dict[str, Any] | None:
    """The awsvpc configuration the estate's services use (subnets, security group)."""
    for service in ecs.services.values():
        config = (service.network_configuration or {}).get("awsvpcConfiguration")
        if config:
            return dict(config)
    return None


def _hosts(plan: EnvPlan, ecs: Any, cluster: str) -> list[Host]:
    ec2 = backend("ec2", plan.account_id, plan.region)
    hosts = []
    for instance in list(ecs.container_instances.get(cluster, {}).values()):
        ec2_instance = ec2.get_instance(instance.ec2_instance_id)
        hosts.append(
            Host(instance.container_instance_arn, instance.ec2_instance_id,
                 ec2_instance.availability_zone, ec2_instance.subnet_id, instance)
        )  # fmt: skip
    return hosts


def _address(plan: EnvPlan, subnet_id: str) -> str:
    ec2 = backend("ec2", plan.account_id, plan.region)
    subnet = ec2.get_subnet(subnet_id)
    used = {str(eni.private_ip_address) for eni in list(ec2.enis.values())}
    return IpPool(subnet.cidr_block, used).take()


def run_standalone(plan: EnvPlan, ecs: Any, network: dict[str, Any]) -> None:
    """One RUNNING task no service owns, placed like RunTask places it."""
    definition = _register_job(plan, ecs, STANDALONE_FAMILY)
    host = choose_host(_hosts(plan, ecs, STANDALONE_CLUSTER), 256, 512, {})
    if host is None:
        return
    task = create_task(
        ecs=ecs,
        cluster_name=STANDALONE_CLUSTER,
        task_definition=definition,
        host=host,
        address=_address(plan, host.subnet_id),
        security_group=str((network.get("securityGroups") or [""])[0]),
        group=f"family:{STANDALONE_FAMILY}",
        started_by=STANDALONE_BY,
        status="RUNNING",
    )
    rng = random.Random(f"backfill-{plan.name}")
    started = time.time() - rng.uniform(600, 3600)
    at = utcnow() - timedelta(seconds=time.time() - started)
    task.created_at, task.pull_started_at = at - timedelta(seconds=15), at - timedelta(seconds=12)
    task.pull_stopped_at, task.started_at = at - timedelta(seconds=3), at
    task.health_status = "UNKNOWN"  # a job has no health check
    for container in task.containers:
        container.health_status = "UNKNOWN"
    stream = f"{LOG_STREAM_PREFIX}/{STANDALONE_FAMILY}/{task.id}"
    write(backend("logs", plan.account_id, plan.region), f"/ecs/{STANDALONE_FAMILY}", stream, [
        (started, f"INFO  starting backfill 1.4.0 (started by {STANDALONE_BY})"),
        (started + 5, "INFO  backfilling orders 2026-01-01..2026-06-30 in batches of 5000"),
        (time.time() - 20, f"INFO  batch {rng.randint(40, 90)} done, 5000 rows"),
    ])  # fmt: skip


def _ecs_target(definition_arn: str, network: dict[str, Any], group: str) -> dict[str, Any]:
    awsvpc = {
        "Subnets": list(network.get("subnets") or []),
        "SecurityGroups": list(network.get("securityGroups") or []),
        "AssignPublicIp": "DISABLED",
    }
    return {
        "TaskDefinitionArn": definition_arn,
        "TaskCount": 1,
        "LaunchType": "EC2",
        "NetworkConfiguration": {"awsvpcConfiguration": awsvpc},
        "Group": group,
    }


def seed_rule(ctx: EstateContext, plan: EnvPlan, network: dict[str, Any]) -> None:
    """An EventBridge rule that runs the ``nightly-report`` task every hour (API calls)."""
    ecs = backend("ecs", plan.account_id, plan.region)
    definition = _register_job(plan, ecs, RULE_NAME)
    events = ctx.admin_client(plan.name, "events")
    events.put_rule(
        Name=RULE_NAME,
        ScheduleExpression=RULE_EXPRESSION,
        State="ENABLED",
        Description="Hourly report export (ECS task)",
    )
    events.put_targets(
        Rule=RULE_NAME,
        Targets=[
            {
                "Id": RULE_NAME,
                "Arn": ecs.clusters[RULE_CLUSTER].arn,
                "RoleArn": f"arn:aws:iam::{plan.account_id}:role/ecsEventsRole",
                "EcsParameters": _ecs_target(definition.arn, network, f"family:{RULE_NAME}"),
            }
        ],
    )


def seed_schedule(ctx: EstateContext, plan: EnvPlan, network: dict[str, Any]) -> None:
    """An EventBridge Scheduler schedule that runs the ``cleanup`` task nightly (API calls)."""
    ecs = backend("ecs", plan.account_id, plan.region)
    definition = _register_job(plan, ecs, SCHEDULE_NAME)
    ctx.admin_client(plan.name, "scheduler").create_schedule(
        Name=SCHEDULE_NAME,
        ScheduleExpression=SCHEDULE_EXPRESSION,
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        Target={
            "Arn": ecs.clusters[SCHEDULE_CLUSTER].arn,
            "RoleArn": f"arn:aws:iam::{plan.account_id}:role/ecsEventsRole",
            "EcsParameters": _ecs_target(definition.arn, network, f"family:{SCHEDULE_NAME}"),
        },
    )
