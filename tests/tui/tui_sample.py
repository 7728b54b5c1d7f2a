"""Hand-built estates for TUI tests: fixed data, fixed clock, no AWS.

``estate()`` builds dev/stage/prod snapshots shaped like the sandbox's estate (three
clusters, eight services, hosts with utilization series) with one crash-looping service,
one deployment in progress and one unhealthy target, all at a fixed moment ``NOW``.
"""

from __future__ import annotations

import datetime as dt
import math

from opskit.estate import (
    ClusterState,
    ContainerDefinition,
    ContainerState,
    DeploymentState,
    Depth,
    DnsRecord,
    EnvironmentState,
    HealthSummary,
    InstanceState,
    LoadBalancerBinding,
    LoadBalancerState,
    Series,
    ServiceEvent,
    ServiceState,
    Snapshot,
    StopKind,
    TargetGroupState,
    TargetState,
    TaskDefinitionState,
    TaskState,
    Utilization,
)

NOW = dt.datetime(2026, 3, 2, 14, 30, 0, tzinfo=dt.UTC)
ACCOUNTS = {"dev": "222222222222", "stage": "333333333333", "prod": "444444444444"}
COLOURS = {"dev": "green", "stage": "yellow", "prod": "red"}
CLUSTERS = {
    "api": ["api", "api-worker", "tracking"],
    "cdn": ["cdn-edge"],
    "app": ["app-jobs", "app-web", "billing", "integrations"],
}
TAGS = {
    "api": "1.42.0",
    "api-worker": "1.42.0",
    "tracking": "3.7.1",
    "cdn-edge": "2.3.0",
    "integrations": "0.19.4",
    "app-web": "5.12.0",
    "app-jobs": "5.12.0",
    "billing": "2.0.8",
}
ENVS = ("dev", "stage", "prod")
DESIRED = {"dev": 1, "stage": 2, "prod": 4}
HOSTS = {"dev": 2, "stage": 2, "prod": 4}


def series(metric: str, base: float, seed: int, points: int = 60) -> Series:
    """A deterministic hour of one-minute points around ``base`` percent."""
    stamps = tuple(NOW - dt.timedelta(minutes=points - i) for i in range(points))
    values = tuple(
        round(max(0.0, min(100.0, base + 12 * math.sin((i + seed) / 6.0))), 1)
        for i in range(points)
    )
    return Series(metric, stamps, values)


def util(base: float, seed: int) -> Utilization:
    return Utilization(series("cpu", base, seed), series("memory", base * 0.8 + 10, seed + 3))


def task(env: str, service: str, index: int, tag: str, host: str) -> TaskState:
    ident = f"{env[:1]}{service[:3]}{index:02d}" + "0" * 20
    return TaskState(
        arn=f"arn:aws:ecs:eu-west-1:{ACCOUNTS[env]}:task/{service}/{ident}",
        id=ident,
        service=service,
        task_definition=f"{service}:7",
        last_status="RUNNING",
        desired_status="RUNNING",
        health="HEALTHY",
        started_at=NOW - dt.timedelta(hours=3, minutes=index),
        container_instance=host,
        containers=(ContainerState(service, f"ghcr.io/acme/{service}:{tag}", tag, "RUNNING"),),
    )


def stopped(env: str, service: str, tag: str) -> TaskState:
    ident = f"{env[:1]}{service[:3]}99" + "0" * 20
    return TaskState(
        arn=f"arn:aws:ecs:eu-west-1:{ACCOUNTS[env]}:task/{service}/{ident}",
        id=ident,
        service=service,
        task_definition=f"{service}:7",
        last_status="STOPPED",
        desired_status="STOPPED",
        started_at=NOW - dt.timedelta(minutes=4),
        stopped_at=NOW - dt.timedelta(minutes=3),
        stop_code="EssentialContainerExited",
        stopped_reason="Essential container in task exited",
        stop_kind=StopKind.essential_exit,
        containers=(
            ContainerState(
                service, f"ghcr.io/acme/{service}:{tag}", tag, "STOPPED", 1, "exit code 1"
            ),
        ),
    )


def service(env: str, cluster: str, name: str, index: int, detail: bool) -> ServiceState:
    tag = TAGS[name]
    desired = DESIRED[env] if name in ("api", "app-web", "cdn-edge") else max(1, DESIRED[env] // 2)
    health = HealthSummary()
    running = desired
    deployments = [
        DeploymentState(
            "ecs-svc/1",
            "PRIMARY",
            f"{name}:7",
            "COMPLETED",
            "",
            desired,
            desired,
            0,
            0,
            NOW - dt.timedelta(days=2),
            NOW - dt.timedelta(days=2),
        )
    ]
    events = [
        ServiceEvent(
            NOW - dt.timedelta(minutes=20), f"(service {name}) has reached a steady state."
        )
    ]
    tasks = [
        task(env, name, i, tag, f"ci-{env}-{cluster}-{i % HOSTS[env]}") for i in range(running)
    ]
    if name == "integrations":
        running = 0
        health = HealthSummary(crash_looping=True, missing_tasks=desired)
        tasks = [stopped(env, name, tag)] if detail else []
        events.insert(
            0,
            ServiceEvent(
                NOW - dt.timedelta(minutes=3),
                f"(service {name}) has started 1 tasks: (task {env[:1]}int99).",
            ),
        )
    if name == "api" and env == "stage":
        health = HealthSummary(deployment_in_progress=True)
        deployments.insert(
            0,
            DeploymentState(
                "ecs-svc/2",
                "PRIMARY",
                f"{name}:8",
                "IN_PROGRESS",
                "",
                desired,
                1,
                1,
                0,
                NOW - dt.timedelta(minutes=2),
                NOW - dt.timedelta(minutes=1),
            ),
        )
        deployments[1] = DeploymentState(
            "ecs-svc/1",
            "ACTIVE",
            f"{name}:7",
            "COMPLETED",
            "",
            desired,
            desired - 1,
            0,
            0,
            NOW - dt.timedelta(days=2),
            NOW - dt.timedelta(minutes=1),
        )
    targets: tuple[TargetState, ...] | None = None
    tgs: tuple[TargetGroupState, ...] = ()
    bindings: tuple[LoadBalancerBinding, ...] = ()
    if name not in ("api-worker", "app-jobs"):
        if detail:
            targets = tuple(
                TargetState(f"10.0.{index}.{i + 10}", 8080, "healthy") for i in range(running)
            )
            if name == "app-web" and env == "prod":
                targets = (
                    *targets[:-1],
                    TargetState(
                        targets[-1].id,
                        8080,
                        "unhealthy",
                        "Target.ResponseCodeMismatch",
                        "Health checks failed with these codes: [502]",
                    ),
                )
        if name == "app-web" and env == "prod":
            health = HealthSummary(unhealthy_targets=1)
        elb = f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNTS[env]}"
        arn = f"{elb}:targetgroup/{env}-{name}/{index:016x}"
        tgs = (
            TargetGroupState(
                arn,
                f"{env}-{name}",
                8080,
                "HTTP",
                "/healthz",
                (
                    f"arn:aws:elasticloadbalancing:eu-west-1:{ACCOUNTS[env]}:loadbalancer/app/{env}-{cluster}/1",
                ),
                300 if detail else None,
                targets,
                "eu-west-1",
            ),
        )
        bindings = (LoadBalancerBinding(arn, name, 8080),)
    definition = None
    if detail:
        definition = TaskDefinitionState(
            f"arn:aws:ecs:eu-west-1:{ACCOUNTS[env]}:task-definition/{name}:7",
            name,
            7,
            "256",
            "512",
            (
                ContainerDefinition(
                    name,
                    f"ghcr.io/acme/{name}:{tag}",
                    tag,
                    256,
                    512,
                    True,
                    (8080,),
                    ("LOG_LEVEL", "FEATURE_FLAGS"),
                    ("DATABASE_PASSWORD",),
                    (),
                    f"/ecs/{env}/{name}",
                    "ecs",
                    "eu-west-1",
                ),
            ),
        )
    return ServiceState(
        name=name,
        arn=f"arn:aws:ecs:eu-west-1:{ACCOUNTS[env]}:service/{cluster}/{name}",
        cluster=cluster,
        status="ACTIVE",
        desired=desired,
        running=running,
        pending=0,
        task_definition=deployments[0].task_definition,
        images=(f"ghcr.io/acme/{name}:{tag}",),
        launch_type="EC2",
        deployments=tuple(deployments),
        events=tuple(events),
        load_balancers=bindings,
        target_groups=tgs,
        dns_names=(f"{name}.{env}.acme.internal",) if tgs else (),
        tasks=tuple(tasks),
        health=health,
        utilization=util(20 + 7 * index, index),
        definition=definition,
        created_at=NOW - dt.timedelta(days=30),
    )


def environment(env: str, detail_service: str | None = None) -> EnvironmentState:
    clusters = []
    index = 0
    for ci, (cluster, names) in enumerate(CLUSTERS.items()):
        services = []
        for name in names:
            index += 1
            if detail_service is None or name == detail_service:
                services.append(service(env, cluster, name, index, detail_service is not None))
        instances = tuple(
            InstanceState(
                id=f"ci-{env}-{cluster}-{h}",
                arn=f"arn:aws:ecs:eu-west-1:{ACCOUNTS[env]}:container-instance/{cluster}/ci-{env}-{cluster}-{h}",
                ec2_instance_id=f"i-0{ci}{h}{env[:1]}0000000000",
                instance_type="m5.large",
                status="ACTIVE",
                agent_connected=not (env == "prod" and cluster == "app" and h == 3),
                cpu_registered=2048,
                cpu_remaining=2048 - 256 * (h + ci + 1),
                memory_registered=7680,
                memory_remaining=7680 - 1024 * (h + 1),
                running_tasks=h + ci + 1,
                utilization=util(15 + 22 * h + 9 * ci, h + ci),
            )
            for h in range(HOSTS[env])
        )
        clusters.append(
            ClusterState(
                cluster,
                f"arn:aws:ecs:eu-west-1:{ACCOUNTS[env]}:cluster/{cluster}",
                cluster,
                "ACTIVE",
                "eu-west-1",
                instances,
                tuple(services),
                util(20 + 10 * ci + 9 * ENVS.index(env), ci),
            )
        )
    lbs = tuple(
        LoadBalancerState(
            f"arn:lb/{env}-{c}",
            f"{env}-{c}",
            f"{env}-{c}.eu-west-1.elb.amazonaws.com",
            "application",
            "internal",
            "active",
            "eu-west-1",
        )
        for c in CLUSTERS
    )
    dns = (
        DnsRecord(
            f"{env}.acme.internal",
            f"api.{env}.acme.internal",
            "A",
            (),
            f"{env}-api.eu-west-1.elb.amazonaws.com",
            load_balancer=f"{env}-api",
        ),
        DnsRecord(
            f"{env}.acme.internal",
            f"app.{env}.acme.internal",
            "A",
            (),
            f"{env}-app.eu-west-1.elb.amazonaws.com",
            load_balancer=f"{env}-app",
        ),
    )
    return EnvironmentState(
        name=env,
        account=ACCOUNTS[env],
        region="eu-west-1",
        colour=COLOURS[env],
        protected=env == "prod",
        fetched_at=NOW - dt.timedelta(seconds=4),
        regions=("eu-west-1",),
        clusters=tuple(clusters),
        load_balancers=lbs,
        dns=dns,
        calls={"ecs.ListServices": 3, "ecs.DescribeServices": 3, "monitoring.GetMetricData": 1},
        seconds=0.4,
    )


def failed(env: str, error: str) -> EnvironmentState:
    return EnvironmentState(
        name=env,
        account=ACCOUNTS[env],
        region="eu-west-1",
        colour=COLOURS[env],
        protected=env == "prod",
        fetched_at=NOW,
        error=error,
    )


def snapshot(env: EnvironmentState, depth: Depth = Depth.overview) -> Snapshot:
    return Snapshot((env,), NOW, depth, dict(env.calls), env.seconds)
