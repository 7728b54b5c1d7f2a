"""An environment's ECS: clusters, container instances, task definitions, services, tasks.

Clusters are named as the config names them (Container Insights on). Each gets the
configured number of real moto EC2 instances of the configured type, spread over the
subnets, registered as container instances with that type's CPU and memory.

Each service gets task definition family ``<service>`` revision 1: one essential
container named after the service (image:tag, cpu, memory, port mapping, container health
check on the service's path, environment variables sorted by name, the config's secret
names as plain environment entries carrying their canary values), awsvpc networking,
and the awslogs driver (group ``/ecs/<service>``, stream prefix ``ecs``, so streams are
``ecs/<service>/<task id>``). The service: EC2 launch type, REPLICA, its target group,
deployment configuration min 100 % / max 200 % with the circuit breaker and rollback on,
a COMPLETED PRIMARY deployment, and its desired count of RUNNING tasks placed on the
container instances with their targets registered and healthy.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta
from typing import Any

from moto.core.utils import utcnow

from sandbox.seed import targets as estate_targets
from sandbox.seed.context import EstateContext, backend, client
from sandbox.seed.metrics import profile_for
from sandbox.seed.network import Network
from sandbox.seed.plan import EnvPlan, ServicePlan
from sandbox.seed.tasks import (
    Host,
    IpPool,
    choose_host,
    create_task,
    instance_capacity,
    set_resources,
    task_address,
)

DEPLOYMENT_CONFIGURATION: dict[str, Any] = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
LOG_STREAM_PREFIX = "ecs"
HEALTH_CHECK_GRACE_S = 60


def seed_clusters(ctx: EstateContext, plan: EnvPlan, network: Network) -> dict[str, list[Host]]:
    """Clusters and their container instances; cluster key -> hosts."""
    ecs = client(ctx, plan.name, "ecs", plan.region)
    ec2 = client(ctx, plan.name, "ec2", plan.region)
    image_id = _ecs_ami(ec2)
    hosts: dict[str, list[Host]] = {}
    for cluster in plan.clusters:
        ecs.create_cluster(
            clusterName=cluster.name,
            settings=[{"name": "containerInsights", "value": "enabled"}],
            tags=[
                {"key": "environment", "value": plan.name},
                {"key": "concern", "value": cluster.concern},
            ],
        )
        hosts[cluster.key] = []
        cpu, memory = instance_capacity(cluster.instance_type)
        for number in range(cluster.host_count):
            subnet = network.subnets[number % len(network.subnets)]
            instance = ec2.run_instances(
                ImageId=image_id,
                MinCount=1,
                MaxCount=1,
                InstanceType=cluster.instance_type,
                SubnetId=subnet.id,
                SecurityGroupIds=[network.task_security_group],
                TagSpecifications=[
                    {
                        "ResourceType": "instance",
                        "Tags": [
                            {"Key": "Name", "Value": f"{plan.name}-{cluster.name}-{number + 1}"},
                            {"Key": "environment", "Value": plan.name},
                            {"Key": "ecs-cluster", "Value": cluster.name},
                        ],
                    }
                ],
            )["Instances"][0]
            registered = ecs.register_container_instance(
                cluster=cluster.name,
                instanceIdentityDocument=json.dumps(
                    {
                        "instanceId": instance["InstanceId"],
                        "region": plan.region,
                        "availabilityZone": subnet.az,
                        "instanceType": cluster.instance_type,
                        "accountId": plan.account_id,
                    }
                ),
            )["containerInstance"]
            arn = registered["containerInstanceArn"]
            moto_instance = backend("ecs", plan.account_id, plan.region).container_instances[
                cluster.name
            ][arn.split("/")[-1]]
            set_resources(moto_instance, cpu, memory)
            hosts[cluster.key].append(
                Host(arn, instance["InstanceId"], subnet.az, subnet.id, moto_instance)
            )
    return hosts


def _ecs_ami(ec2: Any) -> str:
    images = ec2.describe_images(
        Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-ecs-hvm-*x86_64-ebs"]}]
    )["Images"]
    if not images:
        images = ec2.describe_images(Owners=["amazon"])["Images"]
    return str(max(images, key=lambda image: image.get("Name", ""))["ImageId"])


def container_definition(plan: EnvPlan, service: ServicePlan) -> dict[str, Any]:
    """The service's one container, as registered in its task definition."""
    variables = {**service.env, **service.secrets}
    definition: dict[str, Any] = {
        "name": service.container,
        "image": service.image,
        "cpu": service.cpu,
        "memory": service.memory,
        "essential": True,
        "portMappings": [],
        "environment": [{"name": k, "value": variables[k]} for k in sorted(variables)],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": service.log_group,
                "awslogs-region": plan.region,
                "awslogs-stream-prefix": LOG_STREAM_PREFIX,
            },
        },
        "stopTimeout": 30,
    }
    if service.port is not None:
        definition["portMappings"] = [
            {
                "containerPort": service.port,
                "protocol": "tcp",
                "name": f"{service.name}-{service.port}-tcp",
                "appProtocol": "http",
            }
        ]
    if service.port is not None and service.health_check:
        definition["healthCheck"] = {
            "command": [
                "CMD-SHELL",
                f"curl -fsS http://localhost:{service.port}{service.health_check} || exit 1",
            ],
            "interval": 30,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 60,
        }
    return definition


def seed_services(
    plan: EnvPlan, network: Network, hosts: dict[str, list[Host]], pools: dict[str, IpPool]
) -> None:
    """Task definitions, services and their running tasks (in moto's backend)."""
    ecs = backend("ecs", plan.account_id, plan.region)
    elbv2 = backend("elbv2", plan.account_id, plan.region)
    rng = random.Random(f"{plan.name}-services")
    for service in plan.services:
        task_definition = ecs.register_task_definition(
            family=service.name,
            container_definitions=[container_definition(plan, service)],
            network_mode="awsvpc",
            tags=[{"key": "service", "value": service.name}],
            requires_compatibilities=["EC2"],
            cpu=str(service.cpu),
            memory=str(service.memory),
            execution_role_arn=f"arn:aws:iam::{plan.account_id}:role/ecsTaskExecutionRole",
        )
        group_arn = network.target_groups.get(service.name)
        moto_service = ecs.create_service(
            service.cluster_name,
            service.name,
            service.desired,
            task_definition.arn,
            load_balancers=(
                [
                    {
                        "targetGroupArn": group_arn,
                        "containerName": service.container,
                        "containerPort": service.port,
                    }
                ]
                if group_arn
                else []
            ),
            scheduling_strategy="REPLICA",
            tags=[{"key": "environment", "value": plan.name}],
            deployment_controller={"type": "ECS"},
            launch_type="EC2",
            propagate_tags="SERVICE",
            network_configuration={
                "awsvpcConfiguration": {
                    "subnets": [s.id for s in network.subnets],
                    "securityGroups": [network.task_security_group],
                    "assignPublicIp": "DISABLED",
                }
            },
        )
        deployed_at = utcnow() - timedelta(hours=rng.uniform(4, 24 * 20))
        _settle(moto_service, deployed_at)
        moto_service._opskit_profile = profile_for(
            service.name, plan.name, service.desired, service.crash_loops
        )
        service_counts: dict[str, int] = {}
        for _ in range(service.desired):
            host = choose_host(hosts[service.cluster], service.cpu, service.memory, service_counts)
            if host is None:
                break
            task = create_task(
                ecs=ecs,
                cluster_name=service.cluster_name,
                task_definition=task_definition,
                host=host,
                address=pools[host.subnet_id].take(),
                security_group=network.task_security_group,
                group=f"service:{service.name}",
                started_by=moto_service.deployments[0]["id"],
                status="RUNNING",
            )
            started = deployed_at + timedelta(seconds=rng.uniform(20, 90))
            task.created_at = started - timedelta(seconds=15)
            task.pull_started_at = started - timedelta(seconds=12)
            task.pull_stopped_at = started - timedelta(seconds=3)
            task.started_at = started
            task.connectivity_at = started - timedelta(seconds=14)
            service_counts[host.arn] = service_counts.get(host.arn, 0) + 1
            if group_arn and service.port is not None:
                estate_targets.register_healthy(
                    elbv2.target_groups[group_arn], task_address(task), service.port
                )
        placed = sum(service_counts.values())
        moto_service.running_count = placed
        moto_service.pending_count = 0
        moto_service.deployments[0]["runningCount"] = placed
        moto_service.deployments[0]["pendingCount"] = 0
    refresh_cluster_counts(ecs)


def _settle(service: Any, deployed_at: Any) -> None:
    """Give a fresh moto service what AWS shows for a long-running steady one."""
    service.deployment_configuration = json.loads(json.dumps(DEPLOYMENT_CONFIGURATION))
    service.health_check_grace_period_seconds = (
        HEALTH_CHECK_GRACE_S if service.load_balancers else None
    )
    service.placement_strategy = [
        {"type": "spread", "field": "attribute:ecs.availability-zone"},
        {"type": "spread", "field": "instanceId"},
    ]
    service.enable_ecs_managed_tags = True
    service.created_at = deployed_at - timedelta(days=30)
    service.created_by = f"arn:aws:iam::{service._account_id}:role/opskit-admin"
    deployment = service.deployments[0]
    deployment.update(
        {
            "createdAt": deployed_at,
            "updatedAt": deployed_at + timedelta(minutes=3),
            "rolloutState": "COMPLETED",
            "rolloutStateReason": f"ECS deployment {deployment['id']} completed.",
            "launchType": "EC2",
            "platformFamily": None,
            "failedTasks": 0,
            "desiredCount": service.desired_count,
        }
    )
    service.events = [
        {
            "id": f"{deployment['id'][-8:]}-steady",
            "createdAt": deployed_at + timedelta(minutes=3),
            "message": f"(service {service.name}) has reached a steady state.",
        },
        {
            "id": f"{deployment['id'][-8:]}-completed",
            "createdAt": deployed_at + timedelta(minutes=3),
            "message": (
                f"(service {service.name}) (deployment {deployment['id']}) deployment completed."
            ),
        },
    ]


def refresh_cluster_counts(ecs: Any, cluster_name: str | None = None) -> None:
    """Correct describe-clusters' task and service counts (moto's drift)."""
    names = [cluster_name] if cluster_name else list(ecs.clusters)
    for name in names:
        cluster = ecs.clusters.get(name)
        if cluster is None:
            continue
        statuses = [t.last_status for t in ecs.tasks.get(name, {}).values()]
        cluster.running_tasks_count = statuses.count("RUNNING")
        cluster.pending_tasks_count = sum(s in ("PROVISIONING", "PENDING") for s in statuses)
        cluster.active_services_count = sum(
            1 for s in ecs.services.values() if s.cluster_name == name and s.status == "ACTIVE"
        )
        cluster.registered_container_instances_count = len(ecs.container_instances.get(name, {}))
