"""The rules layer over HTTP: AWS's page sizes, tokens and batch limits, ListTasks filters,
Route53 reads under IAM enforcement and its record paging. (moto's own gaps, which these
rely on, are pinned in test_moto_gaps.py.)"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def drop_cluster(ecs: Any, cluster: str, family: str) -> None:
    """Delete a test cluster, its services and task definitions (the shared estate must
    stay as seeded: other tests read all of dev)."""
    for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
        for arn in page["serviceArns"]:
            ecs.delete_service(cluster=cluster, service=arn, force=True)
    ecs.delete_cluster(cluster=cluster)
    for arn in ecs.list_task_definitions(familyPrefix=family)["taskDefinitionArns"]:
        ecs.deregister_task_definition(taskDefinition=arn)


def drop_zone(r53: Any, zone_id: str) -> None:
    """Delete a test hosted zone and its records."""
    pages = r53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id)
    records = [r for page in pages for r in page["ResourceRecordSets"]]
    extra = [r for r in records if r["Type"] not in ("SOA", "NS")]
    if extra:
        changes = [{"Action": "DELETE", "ResourceRecordSet": r} for r in extra]
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    r53.delete_hosted_zone(Id=zone_id)


def record(action: str, name: str, kind: str, value: str, **extra: Any) -> dict[str, Any]:
    """One Route53 change of a record set with a single value."""
    rrset = {"Name": name, "Type": kind, "TTL": 60, "ResourceRecords": [{"Value": value}], **extra}
    return {"Action": action, "ResourceRecordSet": rrset}


@pytest.fixture(scope="module")
def cluster(alice: Any) -> Iterator[str]:
    """A dev cluster of our own with 25 services (no tasks)."""
    ecs = alice.client("ecs", env="dev", access="admin")
    name = unique("rules")
    ecs.create_cluster(clusterName=name)
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "app", "image": "nginx:1", "memory": 128}]
    )
    for i in range(25):
        ecs.create_service(
            cluster=name, serviceName=f"svc{i:02d}", taskDefinition=name, desiredCount=0
        )
    yield name
    drop_cluster(ecs, name, name)


def test_list_services_pages_by_ten_by_default(alice: Any, cluster: str) -> None:
    ecs = alice.client("ecs", env="dev")
    first = ecs.list_services(cluster=cluster)
    assert len(first["serviceArns"]) == 10 and first["nextToken"]
    second = ecs.list_services(cluster=cluster, nextToken=first["nextToken"])
    assert len(second["serviceArns"]) == 10
    assert not set(first["serviceArns"]) & set(second["serviceArns"])
    everything = ecs.list_services(cluster=cluster, maxResults=100)
    assert len(everything["serviceArns"]) == 25 and "nextToken" not in everything
    paged = [
        a
        for p in ecs.get_paginator("list_services").paginate(cluster=cluster)
        for a in p["serviceArns"]
    ]
    assert sorted(paged) == sorted(everything["serviceArns"])


@pytest.mark.parametrize("size", [0, 101])
def test_page_size_outside_aws_limits_is_refused(alice: Any, cluster: str, size: int) -> None:
    ecs = alice.client("ecs", env="dev", retries=0)
    assert error_code(lambda: ecs.list_services(cluster=cluster, maxResults=size)) == (
        "InvalidParameterException"
    )


def test_foreign_or_garbage_tokens_are_refused(alice: Any, cluster: str) -> None:
    ecs = alice.client("ecs", env="dev", retries=0)
    token = ecs.list_services(cluster=cluster, maxResults=1)["nextToken"]
    assert error_code(lambda: ecs.list_clusters(nextToken=token)) == "InvalidParameterException"
    assert error_code(lambda: ecs.list_services(cluster=cluster, nextToken="garbage")) == (
        "InvalidParameterException"
    )


def test_other_ecs_lists_page(alice: Any, cluster: str) -> None:
    ecs = alice.client("ecs", env="dev")
    clusters = ecs.list_clusters(maxResults=1)
    assert len(clusters["clusterArns"]) == 1 and clusters["nextToken"]
    definitions = ecs.list_task_definitions(familyPrefix=cluster, maxResults=1)
    assert len(definitions["taskDefinitionArns"]) == 1 and "nextToken" not in definitions


def test_lists_show_live_clusters_and_services_of_exactly_that_cluster(alice: Any) -> None:
    ecs = alice.client("ecs", env="dev", access="admin")
    name = unique("live")
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "app", "image": "nginx:1", "memory": 128}]
    )
    for cluster, service in ((name, "kept"), (name, "gone"), (f"pre-{name}", "other")):
        ecs.create_cluster(clusterName=cluster)
        ecs.create_service(
            cluster=cluster, serviceName=service, taskDefinition=name, desiredCount=0
        )
    try:
        ecs.delete_service(cluster=name, service="gone")
        listed = ecs.list_services(cluster=name)["serviceArns"]
        assert [arn.rsplit("/", 1)[-1] for arn in listed] == ["kept"]
        drop_cluster(ecs, f"pre-{name}", name)
        pages = ecs.get_paginator("list_clusters").paginate()
        names = [arn.rsplit("/", 1)[-1] for page in pages for arn in page["clusterArns"]]
        assert name in names and f"pre-{name}" not in names
        described = ecs.describe_clusters(clusters=[f"pre-{name}"])["clusters"]
        assert [c["status"] for c in described] == ["INACTIVE"]  # still discoverable
    finally:
        drop_cluster(ecs, name, name)
    assert name not in ecs.list_task_definition_families(status="ACTIVE")["families"]
    assert name in ecs.list_task_definition_families(status="INACTIVE")["families"]


@pytest.mark.parametrize(
    ("operation", "parameter", "limit", "extra"),
    [
        ("describe_services", "services", 10, {"cluster": "x"}),
        ("describe_tasks", "tasks", 100, {"cluster": "x"}),
        ("describe_clusters", "clusters", 100, {}),
        ("describe_container_instances", "containerInstances", 100, {"cluster": "x"}),
    ],
)
def test_ecs_batch_limits(
    alice: Any, cluster: str, operation: str, parameter: str, limit: int, extra: dict[str, str]
) -> None:
    ecs = alice.client("ecs", env="dev", retries=0)
    extra = {k: cluster for k in extra}
    names = [f"n{i}" for i in range(limit + 1)]
    with pytest.raises(ClientError) as caught:
        getattr(ecs, operation)(**{parameter: names}, **extra)
    error = caught.value.response["Error"]
    assert error["Code"] == "InvalidParameterException"
    assert error["Message"] == f"{parameter} can have at most {limit} items."


def test_describe_services_takes_ten(alice: Any, cluster: str) -> None:
    ecs = alice.client("ecs", env="dev")
    services = ecs.describe_services(cluster=cluster, services=[f"svc{i:02d}" for i in range(10)])
    assert len(services["services"]) == 10


@pytest.fixture(scope="module")
def tasks(alice: Any) -> Iterator[dict[str, Any]]:
    """Clusters NAME and NAME-internal (a name containing the other), with service tasks."""
    ecs = alice.client("ecs", env="dev", access="admin")
    ec2 = alice.client("ec2", env="dev", access="admin")
    name = unique("tasks")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    made: dict[str, Any] = {"name": name}
    instances = []
    for cluster in (name, f"{name}-internal"):
        ecs.create_cluster(clusterName=cluster)
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
        instances.append(instance["InstanceId"])
        document = json.dumps({"instanceId": instance["InstanceId"]})
        ecs.register_container_instance(cluster=cluster, instanceIdentityDocument=document)
        made[cluster] = ecs.list_container_instances(cluster=cluster)["containerInstanceArns"][0]
    ecs.register_task_definition(
        family=name, containerDefinitions=[{"name": "app", "image": "nginx:1", "memory": 128}]
    )
    for service in ("web", "jobs"):
        ecs.create_service(cluster=name, serviceName=service, taskDefinition=name, desiredCount=0)

    def start(cluster: str, group: str) -> str:
        started = ecs.start_task(
            cluster=cluster, taskDefinition=name, containerInstances=[made[cluster]], group=group
        )
        return str(started["tasks"][0]["taskArn"])

    made["web"] = [start(name, "service:web") for _ in range(2)]
    made["jobs"] = [start(name, "service:jobs")]
    made["internal"] = [start(f"{name}-internal", "service:web")]
    made["stopped"] = start(name, "service:web")
    ecs.stop_task(cluster=name, task=made["stopped"], reason="test")
    yield made
    for cluster, arns in (
        (name, made["web"] + made["jobs"]),
        (f"{name}-internal", made["internal"]),
    ):
        for arn in arns:
            ecs.stop_task(cluster=cluster, task=arn)
        ecs.deregister_container_instance(
            cluster=cluster, containerInstance=made[cluster], force=True
        )
        drop_cluster(ecs, cluster, name)
    ec2.terminate_instances(InstanceIds=instances)


def test_list_tasks_honours_service_name(alice: Any, tasks: dict[str, Any]) -> None:
    ecs = alice.client("ecs", env="dev")
    web = ecs.list_tasks(cluster=tasks["name"], serviceName="web")["taskArns"]
    assert sorted(web) == sorted(tasks["web"])
    assert ecs.list_tasks(cluster=tasks["name"], serviceName="jobs")["taskArns"] == tasks["jobs"]


def test_list_tasks_lists_running_tasks_of_exactly_that_cluster(
    alice: Any, tasks: dict[str, Any]
) -> None:
    ecs = alice.client("ecs", env="dev")
    listed = ecs.list_tasks(cluster=tasks["name"])["taskArns"]
    assert sorted(listed) == sorted(tasks["web"] + tasks["jobs"])
    stopped = ecs.list_tasks(cluster=tasks["name"], desiredStatus="STOPPED")["taskArns"]
    assert stopped == [tasks["stopped"]]


def test_list_tasks_pages_and_refuses_unknown_services(alice: Any, tasks: dict[str, Any]) -> None:
    ecs = alice.client("ecs", env="dev", retries=0)
    first = ecs.list_tasks(cluster=tasks["name"], serviceName="web", maxResults=1)
    rest = ecs.list_tasks(cluster=tasks["name"], serviceName="web", nextToken=first["nextToken"])
    assert sorted(first["taskArns"] + rest["taskArns"]) == sorted(tasks["web"])
    assert error_code(lambda: ecs.list_tasks(cluster=tasks["name"], serviceName="nope")) == (
        "ServiceNotFoundException"
    )


def test_list_container_instances_pages(alice: Any, tasks: dict[str, Any]) -> None:
    ecs = alice.client("ecs", env="dev")
    answer = ecs.list_container_instances(cluster=tasks["name"], maxResults=1)
    assert answer["containerInstanceArns"] == [tasks[tasks["name"]]] and "nextToken" not in answer


@pytest.fixture(scope="module")
def target_groups(alice: Any) -> Iterator[list[str]]:
    ec2 = alice.client("ec2", env="dev", access="admin")
    elb = alice.client("elbv2", env="dev", access="admin")
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    prefix = unique("tg")
    arns = [
        elb.create_target_group(Name=f"{prefix}-{i}", Protocol="HTTP", Port=80, VpcId=vpc)[
            "TargetGroups"
        ][0]["TargetGroupArn"]
        for i in range(5)
    ]
    yield arns
    for arn in arns:
        elb.delete_target_group(TargetGroupArn=arn)
    ec2.delete_vpc(VpcId=vpc)


def test_elbv2_target_groups_page(alice: Any, target_groups: list[str]) -> None:
    elb = alice.client("elbv2", env="dev")
    first = elb.describe_target_groups(PageSize=2)
    assert len(first["TargetGroups"]) == 2 and first["NextMarker"]
    paged = [
        group["TargetGroupArn"]
        for page in elb.get_paginator("describe_target_groups").paginate(
            PaginationConfig={"PageSize": 2}
        )
        for group in page["TargetGroups"]
    ]
    assert set(target_groups) <= set(paged) and len(paged) == len(set(paged))
    chosen = elb.describe_target_groups(TargetGroupArns=target_groups, PageSize=3)
    assert len(chosen["TargetGroups"]) == 3 and chosen["NextMarker"]


def test_elbv2_default_page_is_400_in_one_answer(alice: Any, target_groups: list[str]) -> None:
    """AWS: PageSize defaults to 400, so a small account's groups and balancers are one page."""
    elb = alice.client("elbv2", env="dev")
    for operation, key in (("describe_target_groups", "TargetGroups"),
                           ("describe_load_balancers", "LoadBalancers")):  # fmt: skip
        whole = getattr(elb, operation)()
        paged = [
            item
            for page in elb.get_paginator(operation).paginate(PaginationConfig={"PageSize": 2})
            for item in page[key]
        ]
        assert "NextMarker" not in whole and whole[key] == paged
        assert len(paged) <= 400
    groups = elb.describe_target_groups()["TargetGroups"]
    assert set(target_groups) <= {g["TargetGroupArn"] for g in groups}


def test_elbv2_limits(alice: Any, target_groups: list[str]) -> None:
    elb = alice.client("elbv2", env="dev", retries=0)
    assert error_code(lambda: elb.describe_target_groups(PageSize=401)) == "ValidationError"
    assert error_code(lambda: elb.describe_load_balancers(Marker="garbage")) == "ValidationError"
    arns = (target_groups * 5)[:21]
    assert error_code(lambda: elb.describe_tags(ResourceArns=arns)) == "ValidationError"
    assert len(elb.describe_tags(ResourceArns=target_groups)["TagDescriptions"]) == 5


@pytest.fixture(scope="module")
def zone(alice: Any) -> Iterator[str]:
    """A dev zone with 6 plain records and 3 weighted records of one name."""
    r53 = alice.client("route53", env="dev", access="admin")
    name = f"{unique('zone')}.internal"
    zone_id = str(r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"])
    changes = [record("UPSERT", f"s{i}.{name}", "A", "10.0.0.1") for i in range(6)] + [
        record(
            "UPSERT",
            f"www.{name}",
            "CNAME",
            f"{set_id}.example.com",
            SetIdentifier=set_id,
            Weight=weight,
        )
        for set_id, weight in (("legacy", 100), ("new", 0), ("canary", 1))
    ]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    yield zone_id
    drop_zone(r53, zone_id)


def test_route53_reads_work_with_iam_enforcement(alice: Any, zone: str) -> None:
    r53 = alice.client("route53", env="dev", retries=0)  # the read role: GETs only
    assert zone in [z["Id"] for z in r53.list_hosted_zones()["HostedZones"]]
    assert r53.get_hosted_zone(Id=zone)["HostedZone"]["Id"] == zone
    assert len(r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]) == 11


def test_route53_pages_through_weighted_records_without_repeats(alice: Any, zone: str) -> None:
    r53 = alice.client("route53", env="dev")
    pages = list(
        r53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone, PaginationConfig={"PageSize": 2}
        )
    )
    records = [
        (r["Name"], r["Type"], r.get("SetIdentifier"))
        for p in pages
        for r in p["ResourceRecordSets"]
    ]
    assert len(records) == 11 and len(set(records)) == 11
    weighted = [r for r in records if r[2]]
    assert [r[2] for r in weighted] == ["canary", "legacy", "new"]
    assert any(p.get("NextRecordIdentifier") for p in pages)


def test_route53_caps_pages_at_300(alice: Any) -> None:
    r53 = alice.client("route53", env="dev", access="admin")
    name = f"{unique('big')}.internal"
    zone_id = r53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    changes = [record("CREATE", f"h{i:03d}.{name}", "A", "10.0.0.2") for i in range(305)]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    try:
        page = r53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="1000")
        assert len(page["ResourceRecordSets"]) == 300 and page["IsTruncated"]
        rest = r53.list_resource_record_sets(
            HostedZoneId=zone_id,
            StartRecordName=page["NextRecordName"],
            StartRecordType=page["NextRecordType"],
        )
        assert len(rest["ResourceRecordSets"]) == 307 - 300 and not rest["IsTruncated"]
    finally:
        drop_zone(r53, zone_id)
