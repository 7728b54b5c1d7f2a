"""An environment's network and front doors: VPC, subnets, security groups, ALBs, target groups.

Per environment: a VPC (``EnvPlan.cidr``, DNS hostnames on, as awsvpc tasks need), three
private subnets (one per availability zone), a security group for the load balancers and
one for tasks, and one Application Load Balancer per cluster concern (``<env>-<concern>``;
api and cdn internet-facing, the others internal) with an HTTP:80 listener whose default
answer is a 404 and one host-header rule per service with a port (``<dns>.<zone>``).

Each such service gets a target group ``<env>-<service>`` (HTTP, the service's port, target
type ``ip`` because tasks use awsvpc networking, health check on the service's path every
15 s, 3 healthy / 2 unhealthy checks, deregistration delay 300 s as AWS's default).

The few per-environment resources go through boto3; target groups and rules, one per
service, are created in moto's backend directly, which keeps the large estate fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sandbox.seed.context import EstateContext, backend, client
from sandbox.seed.plan import EnvPlan, ServicePlan

PUBLIC_CONCERNS = frozenset({"api", "cdn"})
HEALTH_INTERVAL_S = 15
HEALTH_TIMEOUT_S = 5
HEALTHY_THRESHOLD = 3
UNHEALTHY_THRESHOLD = 2


@dataclass(frozen=True)
class Subnet:
    id: str
    az: str
    cidr: str


@dataclass(frozen=True)
class Alb:
    arn: str
    name: str
    dns_name: str
    zone_id: str  # the ALB's canonical hosted zone, for Route53 aliases
    listener_arn: str


@dataclass
class Network:
    """The ids the rest of the seeding needs."""

    vpc_id: str
    subnets: list[Subnet]
    alb_security_group: str
    task_security_group: str
    albs: dict[str, Alb] = field(default_factory=dict)  # cluster key -> its ALB
    target_groups: dict[str, str] = field(default_factory=dict)  # service -> TG ARN


def seed_network(ctx: EstateContext, plan: EnvPlan) -> Network:
    """Create the VPC, subnets, security groups and ALBs of one environment."""
    ec2 = client(ctx, plan.name, "ec2", plan.region)
    tags = [{"Key": "environment", "Value": plan.name}]
    vpc_id = ec2.create_vpc(
        CidrBlock=plan.cidr,
        TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [*tags, {"Key": "Name", "Value": plan.name}]}
        ],
    )["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    subnets = []
    for az, cidr in plan.subnet_cidrs():
        name = f"{plan.name}-private-{az[-1]}"
        answer = ec2.create_subnet(
            VpcId=vpc_id,
            CidrBlock=cidr,
            AvailabilityZone=az,
            TagSpecifications=[
                {"ResourceType": "subnet", "Tags": [*tags, {"Key": "Name", "Value": name}]}
            ],
        )
        subnets.append(Subnet(answer["Subnet"]["SubnetId"], az, cidr))
    alb_sg = ec2.create_security_group(
        GroupName=f"{plan.name}-alb", Description="Load balancers: HTTP in", VpcId=vpc_id
    )["GroupId"]
    task_sg = ec2.create_security_group(
        GroupName=f"{plan.name}-tasks", Description="ECS tasks: from the ALBs", VpcId=vpc_id
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=alb_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=task_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 0,
                "ToPort": 65535,
                "UserIdGroupPairs": [{"GroupId": alb_sg}],
            }
        ],
    )
    network = Network(vpc_id, subnets, alb_sg, task_sg)
    _seed_albs(ctx, plan, network)
    return network


def _seed_albs(ctx: EstateContext, plan: EnvPlan, network: Network) -> None:
    elbv2 = client(ctx, plan.name, "elbv2", plan.region)
    for cluster in plan.clusters:
        name = plan.alb_name(cluster)
        lb = elbv2.create_load_balancer(
            Name=name,
            Subnets=[s.id for s in network.subnets],
            SecurityGroups=[network.alb_security_group],
            Scheme="internet-facing" if cluster.concern in PUBLIC_CONCERNS else "internal",
            Type="application",
            Tags=[
                {"Key": "environment", "Value": plan.name},
                {"Key": "concern", "Value": cluster.concern},
            ],
        )["LoadBalancers"][0]
        listener = elbv2.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "404",
                        "ContentType": "text/plain",
                        "MessageBody": "no route",
                    },
                }
            ],
        )["Listeners"][0]
        network.albs[cluster.key] = Alb(
            arn=lb["LoadBalancerArn"],
            name=name,
            dns_name=lb["DNSName"],
            zone_id=lb["CanonicalHostedZoneId"],
            listener_arn=listener["ListenerArn"],
        )


def seed_target_groups(plan: EnvPlan, network: Network) -> None:
    """One target group and listener rule per service with a port (in moto's backend)."""
    elbv2 = backend("elbv2", plan.account_id, plan.region)
    priorities: dict[str, int] = {}
    for service in plan.services:
        if service.port is None or service.cluster not in network.albs:
            continue
        group = _create_target_group(elbv2, plan, network, service)
        network.target_groups[service.name] = group.arn
        alb = network.albs[service.cluster]
        priorities[alb.arn] = priorities.get(alb.arn, 0) + 1
        elbv2.create_rule(
            listener_arn=alb.listener_arn,
            conditions=[
                {"Field": "host-header", "Values": [f"{service.dns or service.name}.{plan.zone}"]}
            ],
            priority=priorities[alb.arn],
            actions=[{"Type": "forward", "TargetGroupArn": group.arn, "Order": 1}],
            tags=None,
        )


def _create_target_group(elbv2: Any, plan: EnvPlan, network: Network, service: ServicePlan) -> Any:
    group = elbv2.create_target_group(
        service.target_group_name(plan.name),
        vpc_id=network.vpc_id,
        protocol="HTTP",
        protocol_version="HTTP1",
        port=service.port,
        healthcheck_protocol="HTTP",
        healthcheck_port="traffic-port",
        healthcheck_path=service.health_check or "/",
        healthcheck_interval_seconds=HEALTH_INTERVAL_S,
        healthcheck_timeout_seconds=HEALTH_TIMEOUT_S,
        healthcheck_enabled="true",
        healthy_threshold_count=str(HEALTHY_THRESHOLD),
        unhealthy_threshold_count=str(UNHEALTHY_THRESHOLD),
        matcher={"HttpCode": "200"},
        ip_address_type=None,
        target_type="ip",
        tags=[
            {"Key": "environment", "Value": plan.name},
            {"Key": "service", "Value": service.name},
        ],
    )
    return group
