"""The seeded estate, over HTTP, in a sandbox of its own; plus the moto behaviour it rests on.

``estate`` is a private sandbox (the session's shared one is changed by other tests:
deploys, scaling, draining; test_simulator, which shares this one, runs after this module),
reached as alice with each environment's admin role. The last section pins plain moto
(in-process, no patches): if one of those tests fails after a moto upgrade, re-check the
matching patch in sandbox/seed/*.py.
"""

from __future__ import annotations

import datetime as dt
import inspect
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from opskit.config import Config, load_config
from sandbox.aws.shared_models import boto_session
from sandbox.seed import metrics as names
from sandbox.seed.cloudwatch import Series, buckets, statistic
from sandbox.seed.dns import zone_for_record
from sandbox.seed.large import HOSTS_PER_CLUSTER, SERVICES_PER_CLUSTER
from sandbox.seed.plan import CANARY_PREFIX, canary_value
from sandbox.seed.plans import plan_estate
from sandbox.state import SandboxInfo

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"
pytestmark = pytest.mark.xdist_group("estate-sandbox")  # one worker: its sandbox starts once
REGION = "eu-west-1"


class Estate:
    """A private sandbox and boto3 clients as alice with an environment's admin role."""

    def __init__(self, info: SandboxInfo) -> None:
        self.info = info
        user = info.user("alice")
        self._user = boto_session(
            aws_access_key_id=user.access_key_id,
            aws_secret_access_key=user.secret_access_key,
            region_name=info.region,
        )
        self._clients: dict[tuple[str, str], Any] = {}

    def client(self, service: str, env: str) -> Any:
        key = (service, env)
        if key not in self._clients:
            sts = self._user.client("sts", endpoint_url=self.info.endpoint_url)
            creds = sts.assume_role(RoleArn=self.info.roles[env]["admin"], RoleSessionName="alice")
            creds = creds["Credentials"]
            self._clients[key] = boto_session().client(
                service,
                region_name=self.info.region,
                endpoint_url=self.info.endpoint_url,
                aws_access_key_id=creds["AccessKeyId"],
                aws_secret_access_key=creds["SecretAccessKey"],
                aws_session_token=creds["SessionToken"],
            )
        return self._clients[key]


@pytest.fixture(scope="module")
def estate(estate_sandbox: SandboxInfo) -> Estate:
    """The seeded-estate sandbox (tests/sandbox/conftest.py), as alice."""
    return Estate(estate_sandbox)


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(CONFIG)


def paged(client: Any, operation: str, key: str, **params: Any) -> list[Any]:
    return [
        item for page in client.get_paginator(operation).paginate(**params) for item in page[key]
    ]


def services_of(ecs: Any, cluster: str) -> dict[str, dict[str, Any]]:
    arns = paged(ecs, "list_services", "serviceArns", cluster=cluster)
    found = {}
    for start in range(0, len(arns), 10):
        for service in ecs.describe_services(cluster=cluster, services=arns[start : start + 10])[
            "services"
        ]:
            found[service["serviceName"]] = service
    return found


def running_tasks(ecs: Any, cluster: str, service: str) -> list[dict[str, Any]]:
    arns = paged(ecs, "list_tasks", "taskArns", cluster=cluster, serviceName=service)
    if not arns:
        return []
    return [
        t
        for t in ecs.describe_tasks(cluster=cluster, tasks=arns)["tasks"]
        if t["lastStatus"] == "RUNNING"
    ]


def task_ip(task: dict[str, Any]) -> str:
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    return str(details["privateIPv4Address"])


# -- the seeded estate, over HTTP ---------------------------------------------------------------


@pytest.mark.slow
def test_every_environment_holds_the_catalog(estate: Estate, config: Config) -> None:
    for env in config.env_names():
        ecs = estate.client("ecs", env)
        clusters = ecs.describe_clusters(clusters=paged(ecs, "list_clusters", "clusterArns"))[
            "clusters"
        ]
        assert {c["clusterName"] for c in clusters} == {
            config.cluster_name(k) for k in config.clusters
        }
        for key, cluster in config.clusters.items():
            name = config.cluster_name(key)
            hosts = cluster.hosts[env]
            arns = paged(ecs, "list_container_instances", "containerInstanceArns", cluster=name)
            instances = ecs.describe_container_instances(cluster=name, containerInstances=arns)
            instances = instances["containerInstances"]
            assert len(instances) == hosts.count
            for instance in instances:
                attributes = {a["name"]: a.get("value") for a in instance["attributes"]}
                assert attributes["ecs.instance-type"] == hosts.instance_type
                assert instance["ec2InstanceId"].startswith("i-") and instance["agentConnected"]
            expected = {n for n, s in config.services_in(env).items() if s.cluster == key}
            shapes = {  # the seeded shapes the catalog does not list (sandbox/seed/shapes.py)
                s.name for p in plan_estate(config) if p.name == env and p.primary
                for s in p.services if s.cluster == key and s.name not in config.services
            }  # fmt: skip
            services = services_of(ecs, name)
            assert set(services) == expected | shapes
            for service_name, service in services.items():
                if service_name in config.services:
                    _check_service(ecs, env, config, service_name, service)


def _check_service(ecs: Any, env: str, config: Config, name: str, service: dict[str, Any]) -> None:
    spec = config.services[name]
    size = spec.size[env]
    assert service["desiredCount"] == size.desired
    assert service["launchType"] == "EC2"
    deployment = service["deployments"][0]
    assert (deployment["status"], deployment["rolloutState"]) == ("PRIMARY", "COMPLETED")
    assert service["deploymentConfiguration"] == {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "maximumPercent": 200,
        "minimumHealthyPercent": 100,
    }
    assert bool(service["loadBalancers"]) == (spec.port is not None)
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])[
        "taskDefinition"
    ]
    assert (definition["family"], definition["networkMode"]) == (name, "awsvpc")
    container = definition["containerDefinitions"][0]
    assert (container["image"], container["cpu"], container["memory"]) == (
        spec.image,
        size.cpu,
        size.memory,
    )
    assert definition["cpu"] == str(size.cpu) and definition["memory"] == str(size.memory)
    variables = {e["name"]: e["value"] for e in container["environment"]}
    assert set(variables) == set(spec.env) | set(spec.secrets)
    for secret in spec.secrets:
        assert variables[secret] == canary_value(name, secret)
    log = container["logConfiguration"]
    assert log["logDriver"] == "awslogs"
    assert log["options"]["awslogs-group"] == f"/ecs/{name}"
    assert log["options"]["awslogs-stream-prefix"] == "ecs"
    if spec.port is not None:
        assert container["portMappings"][0]["containerPort"] == spec.port
        assert service["loadBalancers"][0]["containerPort"] == spec.port
    if spec.health_check:
        assert spec.health_check in " ".join(container["healthCheck"]["command"])


def test_stage_mirrors_prod_except_size_and_count(estate: Estate, config: Config) -> None:
    stage, prod = estate.client("ecs", "stage"), estate.client("ecs", "prod")
    for name, spec in config.services.items():
        if "stage" not in spec.size or "prod" not in spec.size:
            continue
        both = []
        for ecs in (stage, prod):
            service = services_of(ecs, config.cluster_name(spec.cluster))[name]
            definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
            container = definition["taskDefinition"]["containerDefinitions"][0]
            container.pop("cpu"), container.pop("memory")
            service_shape = {k: service[k] for k in ("deploymentConfiguration", "launchType")}
            both.append((container, service_shape, service["desiredCount"]))
        assert both[0][:2] == both[1][:2]
        assert (both[0][2], both[1][2]) == (spec.size["stage"].desired, spec.size["prod"].desired)


def test_tasks_run_on_the_hosts_with_healthy_targets(estate: Estate, config: Config) -> None:
    for env in config.env_names():
        ecs, elb = estate.client("ecs", env), estate.client("elbv2", env)
        vpc = ipaddress.IPv4Network(f"10.{10 + config.env_names().index(env)}.0.0/16")
        for name, spec in config.services_in(env).items():
            if name == "integrations":
                continue  # it crash-loops: see test_simulator
            cluster = config.cluster_name(spec.cluster)
            instances = set(
                paged(ecs, "list_container_instances", "containerInstanceArns", cluster=cluster)
            )
            tasks = running_tasks(ecs, cluster, name)
            assert len(tasks) == spec.size[env].desired, (env, name)
            assert all(t["containerInstanceArn"] in instances for t in tasks)
            assert all(ipaddress.IPv4Address(task_ip(t)) in vpc for t in tasks)
            assert all(t["startedAt"] < t["createdAt"] + dt.timedelta(minutes=5) for t in tasks)
            if spec.port is None:
                continue
            service = services_of(ecs, cluster)[name]
            group = service["loadBalancers"][0]["targetGroupArn"]
            health = elb.describe_target_health(TargetGroupArn=group)["TargetHealthDescriptions"]
            assert {h["Target"]["Id"] for h in health} == {task_ip(t) for t in tasks}
            states = [h["TargetHealth"]["State"] for h in health]
            assert states.count("healthy") >= len(states) - 1, states  # one may flap


def test_load_balancers_and_target_groups(estate: Estate, config: Config) -> None:
    elb = estate.client("elbv2", "prod")
    balancers = {
        b["LoadBalancerName"]: b for b in paged(elb, "describe_load_balancers", "LoadBalancers")
    }
    assert set(balancers) == {f"prod-{c.concern}" for c in config.clusters.values()}
    groups = {g["TargetGroupName"]: g for g in paged(elb, "describe_target_groups", "TargetGroups")}
    with_port = {n for n, s in config.services_in("prod").items() if s.port is not None}
    assert set(groups) == {f"prod-{n}" for n in with_port}
    api = groups["prod-api"]
    assert (api["Port"], api["TargetType"], api["HealthCheckPath"]) == (8080, "ip", "/healthz")
    attributes = elb.describe_target_group_attributes(TargetGroupArn=api["TargetGroupArn"])[
        "Attributes"
    ]
    assert {a["Key"]: a["Value"] for a in attributes}[
        "deregistration_delay.timeout_seconds"
    ] == "300"
    listener = elb.describe_listeners(LoadBalancerArn=balancers["prod-api"]["LoadBalancerArn"])[
        "Listeners"
    ][0]
    rules = elb.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    hosts = {c["Values"][0] for r in rules for c in r["Conditions"] if c["Field"] == "host-header"}
    assert "api.prod.acme.internal" in hosts and "tracking.prod.acme.internal" in hosts


def test_private_zones_name_every_service_and_hold_the_weighted_records(
    estate: Estate, config: Config
) -> None:
    albs = {}
    for env in config.env_names():
        elb = estate.client("elbv2", env)
        albs[env] = {
            b["LoadBalancerName"]: b["DNSName"]
            for b in paged(elb, "describe_load_balancers", "LoadBalancers")
        }
    for env in config.env_names():
        route53 = estate.client("route53", env)
        zones = {z["Name"].rstrip("."): z for z in route53.list_hosted_zones()["HostedZones"]}
        zone = zones[config.dns.zone_for(env)]
        assert zone["Config"]["PrivateZone"] is True
        records = paged(
            route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone["Id"]
        )
        aliases = {
            r["Name"].rstrip("."): r["AliasTarget"]["DNSName"]
            for r in records
            if "AliasTarget" in r
        }
        for spec in config.services_in(env).values():
            if spec.dns and spec.port:
                target = albs[env][f"{env}-{config.clusters[spec.cluster].concern}"]
                assert aliases[f"{spec.dns}.{zone['Name'].rstrip('.')}"].endswith(target)
    for shift in config.traffic.values():
        route53 = estate.client("route53", shift.zone_env)
        zones = {z["Name"].rstrip("."): z["Id"] for z in route53.list_hosted_zones()["HostedZones"]}
        zone_id = zones[zone_for_record(shift.record, config.dns.zone_for(shift.zone_env))]
        records = paged(
            route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone_id
        )
        weighted = {r["SetIdentifier"]: r for r in records if r["Name"].rstrip(".") == shift.record}
        assert set(weighted) == set(shift.sets)
        for label, env in shift.sets.items():
            assert weighted[label]["Weight"] == shift.weights.get(label, 0)
            concern = config.clusters[config.services[shift.service].cluster].concern
            assert weighted[label]["AliasTarget"]["DNSName"].endswith(albs[env][f"{env}-{concern}"])


def test_every_task_logs_like_the_awslogs_driver_without_secrets(
    estate: Estate, config: Config
) -> None:
    logs, ecs = estate.client("logs", "dev"), estate.client("ecs", "dev")
    groups = {g["logGroupName"] for g in paged(logs, "describe_log_groups", "logGroups")}
    assert groups >= {f"/ecs/{name}" for name in config.services_in("dev")}
    for name in ("api", "app-web", "api-worker"):
        task = running_tasks(ecs, config.cluster_name(config.services[name].cluster), name)[0]
        stream = f"ecs/{name}/{task['taskArn'].split('/')[-1]}"
        events = logs.get_log_events(
            logGroupName=f"/ecs/{name}", logStreamName=stream, startFromHead=True
        )
        lines = [e["message"] for e in events["events"]]
        tag = config.services[name].tag
        assert f"starting {name} {tag}" in lines[0]
        assert len(lines) > 3
        assert not any(CANARY_PREFIX in line for line in lines)


def target_group_dimensions(estate: Estate, env: str, service: str) -> list[tuple[str, str]]:
    """CloudWatch's LoadBalancer and TargetGroup dimensions of a service's target group."""
    elb = estate.client("elbv2", env)
    group = elb.describe_target_groups(Names=[f"{env}-{service}"])["TargetGroups"][0]
    arns = [group["LoadBalancerArns"][0], group["TargetGroupArn"]]
    values = [arn.split(":", 5)[-1].removeprefix("loadbalancer/") for arn in arns]
    return list(zip(("LoadBalancer", "TargetGroup"), values, strict=True))


def test_three_hours_of_utilization_for_clusters_services_and_hosts(estate: Estate) -> None:
    ecs, cloudwatch = estate.client("ecs", "dev"), estate.client("cloudwatch", "dev")
    instance = ecs.describe_container_instances(
        cluster="api",
        containerInstances=paged(
            ecs, "list_container_instances", "containerInstanceArns", cluster="api"
        )[:1],
    )["containerInstances"][0]
    host = [
        ("ClusterName", "api"),
        ("ContainerInstanceId", instance["containerInstanceArn"].split("/")[-1]),
        ("EC2InstanceId", instance["ec2InstanceId"]),
    ]
    wanted = [
        (names.ECS, names.CPU_UTILIZATION, [("ClusterName", "api"), ("ServiceName", "api")]),
        (names.ECS, names.MEMORY_UTILIZATION, [("ClusterName", "api"), ("ServiceName", "api")]),
        (names.ECS, names.CPU_UTILIZATION, [("ClusterName", "api")]),
        (names.ECS, names.MEMORY_UTILIZATION, [("ClusterName", "api")]),
        (names.ECS, names.CPU_RESERVATION, [("ClusterName", "api")]),
        (names.ECS, names.MEMORY_RESERVATION, [("ClusterName", "api")]),
        (names.INSIGHTS, names.INSTANCE_CPU, host),
        (names.INSIGHTS, names.INSTANCE_MEMORY, host),
        (names.EC2, names.CPU_UTILIZATION, [("InstanceId", instance["ec2InstanceId"])]),
        (names.ALB, names.HEALTHY_HOSTS, target_group_dimensions(estate, "dev", "api")),
    ]
    now = dt.datetime.now(dt.UTC)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": f"m{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": ns,
                        "MetricName": metric,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dims],
                    },
                    "Period": 60,
                    "Stat": "Average",
                },
            }
            for i, (ns, metric, dims) in enumerate(wanted)
        ],
        StartTime=now - dt.timedelta(hours=3),
        EndTime=now,
    )["MetricDataResults"]
    for (_, metric, _), result in zip(wanted, answer, strict=True):
        assert len(result["Values"]) >= 170, result["Id"]
        assert all(0 <= v <= 100 for v in result["Values"])
        if metric == names.HEALTHY_HOSTS:
            assert set(result["Values"]) <= {0.0, 1.0} and result["Values"][-1] == 1.0
        elif "Reservation" not in metric:  # reservations only change with the tasks
            assert len(set(result["Values"])) > 10  # a daily shape with noise
    listed = paged(
        cloudwatch, "list_metrics", "Metrics", Namespace=names.ECS, MetricName=names.CPU_UTILIZATION
    )
    keys = [json.dumps(m["Dimensions"], sort_keys=True) for m in listed]
    assert len(keys) == len(set(keys))  # each series once, not once per datapoint


def test_cluster_counts_match_the_tasks(estate: Estate, config: Config) -> None:
    ecs = estate.client("ecs", "prod")
    cluster = ecs.describe_clusters(clusters=["api"])["clusters"][0]
    expected = sum(s.size["prod"].desired for s in config.services.values() if s.cluster == "api")
    assert cluster["runningTasksCount"] == expected
    assert cluster["activeServicesCount"] == sum(
        1 for s in config.services.values() if s.cluster == "api"
    )
    assert (
        cluster["registeredContainerInstancesCount"] == config.clusters["api"].hosts["prod"].count
    )


# -- plans, stores and states (no server) ----------------------------------------------------------


def test_large_plan_is_three_clusters_of_a_hundred_services(config: Config) -> None:
    plans = plan_estate(config, "large")
    assert [p.name for p in plans] == config.env_names()
    for plan in plans:
        assert [c.host_count for c in plan.clusters] == [HOSTS_PER_CLUSTER] * 3
        assert len(plan.services) == 3 * SERVICES_PER_CLUSTER
        assert len({s.name for s in plan.services}) == len(plan.services)
        assert all(s.desired == 3 for s in plan.services)
        assert all(len(s.target_group_name(plan.name)) <= 32 for s in plan.services)
        for cluster in plan.clusters:  # an ALB listener takes 100 rules
            assert sum(s.port is not None for s in plan.services_of(cluster.key)) <= 100


def test_canaries_are_stable_and_recognisable() -> None:
    value = canary_value("api", "DATABASE_PASSWORD")
    assert value == canary_value("api", "DATABASE_PASSWORD") != canary_value("billing", "X")
    assert value.startswith(CANARY_PREFIX)


def test_weighted_records_outside_the_zone_get_their_parent_zone() -> None:
    assert zone_for_record("www.prod.acme.internal", "prod.acme.internal") == "prod.acme.internal"
    assert zone_for_record("www.acme.internal", "prod.acme.internal") == "acme.internal"


def test_metric_store_answers_like_cloudwatch() -> None:
    series = Series()
    for when, value in [(120.0, 4.0), (60.0, 2.0), (61.0, 6.0), (179.0, 8.0), (300.0, 1.0)]:
        series.add(when, value)
    assert list(series.times) == [60.0, 61.0, 120.0, 179.0, 300.0]
    assert buckets(series, 60.0, 300.0, 60) == [(60.0, [2.0, 6.0]), (120.0, [4.0, 8.0])]
    assert buckets(series, 70.0, 301.0, 60)[0] == (60.0, [2.0, 6.0])  # start rounds down
    stats = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")
    assert [statistic([2.0, 6.0, 4.0], s) for s in stats] == [4.0, 12.0, 2.0, 6.0, 3.0]
    assert statistic([float(v) for v in range(1, 101)], "p90") == 90.0
    series.prune(100.0)
    assert list(series.times) == [120.0, 179.0, 300.0]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from sandbox.seed import cloudwatch as estate_cloudwatch
    from sandbox.seed import targets as estate_targets
    from sandbox.simulator import hooks as simulator_hooks

    if estate_targets._installed or estate_cloudwatch._installed or simulator_hooks._installed:
        pytest.skip("the sandbox's moto patches are installed in this process")
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with mock_aws():
        yield lambda service: boto3.client(service, region_name=REGION)


WRAPPED = {  # moto callable -> its parameters, as the sandbox's patches call them
    "ecs.models:EC2ContainerServiceBackend.update_service": "self service_properties",
    "ecs.models:EC2ContainerServiceBackend.delete_service": "self cluster_name service_name force",
    "ecs.models:EC2ContainerServiceBackend.stop_task": "self cluster_str task_str reason",
    "ecs.models:EC2ContainerServiceBackend.update_container_instance_resources":
        "self container_instance task_resources removing",
    "elbv2.models:FakeTargetGroup.register": "self targets",
    "elbv2.models:FakeTargetGroup.deregister": "self targets",
    "elbv2.models:FakeTargetGroup.health_for": "self target ec2_backend",
    "elbv2.models:ELBv2Backend.describe_target_health": "self target_group_arn targets",
    "elbv2.models:ELBv2Backend.create_rule": "self listener_arn conditions priority actions tags",
    "cloudwatch.models:CloudWatchBackend.put_metric_data": "self namespace metric_data",
    "cloudwatch.models:CloudWatchBackend.get_metric_data":
        "self queries start_time end_time scan_by",
    "cloudwatch.models:CloudWatchBackend.get_filtered_metrics":
        "self metric_name namespace dimensions",
    "ecs.models:Task.__init__": "self cluster task_definition container_instance_arn "
        "resource_requirements backend group launch_type overrides started_by tags "
        "networking_configuration platform_version capacity_provider_name",
    "ecs.models:EC2ContainerServiceBackend._calculate_task_resource_requirements":
        "task_definition",
    "logs.models:LogStream.__init__": "self log_group name",
    "moto_api._internal.state_manager:StateManager.set_transition": "self model_name transition",
    "logs.models:LogsBackend.create_log_group": "self log_group_name tags kwargs",
    "elbv2.models:ELBv2Backend.create_target_group": "self name kwargs",
}  # fmt: skip


@pytest.mark.parametrize("target", sorted(WRAPPED))
def test_moto_signatures_we_wrap_and_call(target: str) -> None:
    import importlib

    module, _, path = target.partition(":")
    owner, _, attribute = path.partition(".")
    function = getattr(getattr(importlib.import_module(f"moto.{module}"), owner), attribute)
    assert " ".join(inspect.signature(function).parameters) == WRAPPED[target]


def test_moto_lists_a_many_dimension_metric_once_per_datapoint(aws: Any) -> None:
    cloudwatch = aws("cloudwatch")
    dimensions = [{"Name": "ClusterName", "Value": "c"}, {"Name": "ServiceName", "Value": "s"}]
    data = [{"MetricName": "m", "Value": float(v), "Dimensions": dimensions} for v in range(3)]
    cloudwatch.put_metric_data(Namespace="n", MetricData=data)
    assert len(cloudwatch.list_metrics(Namespace="n")["Metrics"]) == 3
