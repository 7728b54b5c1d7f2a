"""Pins on plain moto's gaps that the sandbox's layer and patches exist to fill.

These run moto in-process, without the sandbox (no layer, no patches). If one fails after
a moto upgrade, moto changed: re-check the matching rule (rules_*.py, sessions.py,
moto_patches.py), keep it or delete it, and update field-notes.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.authorization import enable_iam_authentication

from sandbox.aws.moto_patches import MOTO_VERSION

REGION = "eu-west-1"


def record(name: str, kind: str, value: str, **extra: Any) -> dict[str, Any]:
    rrset = {"Name": name, "Type": kind, "TTL": 60, "ResourceRecords": [{"Value": value}], **extra}
    return {"Action": "UPSERT", "ResourceRecordSet": rrset}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "MOTO_ACCOUNT_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    with mock_aws():
        yield lambda service, **kw: boto3.client(service, region_name=REGION, **kw)


def test_moto_is_the_pinned_version() -> None:
    assert moto.__version__ == MOTO_VERSION


def test_moto_ecs_ignores_page_and_batch_limits(aws: Any) -> None:
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="api")
    ecs.register_task_definition(
        family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 64}]
    )
    for i in range(12):
        ecs.create_service(cluster="api", serviceName=f"s{i}", taskDefinition="t", desiredCount=0)
    listed = ecs.list_services(cluster="api", maxResults=5)
    assert len(listed["serviceArns"]) == 12 and "nextToken" not in listed
    described = ecs.describe_services(cluster="api", services=[f"s{i}" for i in range(12)])
    assert len(described["services"]) == 12


def test_moto_lists_deleted_things_and_other_clusters_services(aws: Any) -> None:
    ecs = aws("ecs")
    ecs.register_task_definition(
        family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 64}]
    )
    for cluster in ("api", "internal-api"):
        ecs.create_cluster(clusterName=cluster)
        ecs.create_service(
            cluster=cluster, serviceName=f"{cluster}-svc", taskDefinition="t", desiredCount=0
        )
    ecs.delete_service(cluster="api", service="api-svc")
    assert len(ecs.list_services(cluster="api")["serviceArns"]) == 2  # deleted + internal-api's
    ecs.delete_service(cluster="internal-api", service="internal-api-svc")
    ecs.delete_cluster(cluster="internal-api")
    assert len(ecs.list_clusters()["clusterArns"]) == 2
    ecs.deregister_task_definition(taskDefinition="t:1")
    assert ecs.list_task_definition_families(status="ACTIVE")["families"] == ["t"]


def test_moto_list_tasks_ignores_service_name_and_lists_stopped_tasks(aws: Any) -> None:
    ecs, ec2 = aws("ecs"), aws("ec2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    arns = {}
    for cluster in ("api", "api-internal"):
        ecs.create_cluster(clusterName=cluster)
        instance = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1)["Instances"][0]
        document = json.dumps({"instanceId": instance["InstanceId"]})
        arns[cluster] = ecs.register_container_instance(
            cluster=cluster, instanceIdentityDocument=document
        )["containerInstance"]["containerInstanceArn"]
    ecs.register_task_definition(
        family="t", containerDefinitions=[{"name": "c", "image": "i", "memory": 64}]
    )
    ecs.create_service(cluster="api", serviceName="web", taskDefinition="t", desiredCount=0)
    ecs.start_task(
        cluster="api", taskDefinition="t", containerInstances=[arns["api"]], group="service:other"
    )
    ecs.start_task(
        cluster="api-internal",
        taskDefinition="t",
        containerInstances=[arns["api-internal"]],
        group="service:web",
    )
    stopped = ecs.start_task(cluster="api", taskDefinition="t", containerInstances=[arns["api"]])
    ecs.stop_task(cluster="api", task=stopped["tasks"][0]["taskArn"])
    assert len(ecs.list_tasks(cluster="api", serviceName="web")["taskArns"]) == 3


def test_moto_elbv2_ignores_target_group_page_size(aws: Any) -> None:
    elb = aws("elbv2")
    vpc = aws("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for i in range(3):
        elb.create_target_group(Name=f"tg{i}", Protocol="HTTP", Port=80, VpcId=vpc)
    answer = elb.describe_target_groups(PageSize=1)
    assert len(answer["TargetGroups"]) == 3 and "NextMarker" not in answer


def test_moto_route53_repeats_weighted_records_across_pages(aws: Any) -> None:
    r53 = aws("route53")
    zone = r53.create_hosted_zone(Name="z.internal", CallerReference="z")["HostedZone"]["Id"]
    changes = [
        record("www.z.internal", "CNAME", f"{sid}.example.com", SetIdentifier=sid, Weight=1)
        for sid in ("a", "b", "c")
    ]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    records = [
        (r["Name"], r.get("SetIdentifier"))
        for page in r53.get_paginator("list_resource_record_sets").paginate(
            HostedZoneId=zone, PaginationConfig={"PageSize": 3}
        )
        for r in page["ResourceRecordSets"]
    ]
    assert len(records) > len(set(records))  # the page after "a" starts at "a" again


@pytest.fixture
def enforced(aws: Any) -> Iterator[Any]:
    """A user with every permission, then IAM enforcement on; clients signed as that user."""
    iam = aws("iam")
    iam.create_user(UserName="u")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
    }
    iam.put_user_policy(UserName="u", PolicyName="all", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="u")["AccessKey"]
    zone = aws("route53").create_hosted_zone(Name="z.internal", CallerReference="z")
    with enable_iam_authentication():
        yield (
            lambda service, **kw: aws(
                service,
                aws_access_key_id=key["AccessKeyId"],
                aws_secret_access_key=key["SecretAccessKey"],
                **kw,
            ),
            zone["HostedZone"]["Id"],
        )


def test_moto_route53_reads_fail_their_signature_check(enforced: Any) -> None:
    client, zone = enforced
    r53 = client("route53")
    changes = [record("a.z.internal", "A", "10.0.0.1")]  # a write (it has a body) passes
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": changes})
    with pytest.raises(ClientError) as caught:
        r53.list_hosted_zones()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_moto_renders_json_services_auth_errors_as_query_xml(enforced: Any) -> None:
    client, _ = enforced
    assert client("ecs").list_clusters()["clusterArns"] == []
    stranger = boto3.client(
        "ecs",
        region_name=REGION,
        aws_access_key_id="AKIAUNKNOWN000000000",
        aws_secret_access_key="x",
    )
    with pytest.raises(ClientError) as caught:
        stranger.list_clusters()
    assert caught.value.response["Error"]["Code"] == "403"  # botocore could not read the XML
    assert "<ErrorResponse>" in caught.value.response["Error"]["Message"]


def test_moto_get_session_token_gives_canned_keys(aws: Any) -> None:
    first = aws("sts").get_session_token()["Credentials"]["AccessKeyId"]
    second = aws("sts").get_session_token()["Credentials"]["AccessKeyId"]
    assert first == second == "AKIAIOSFODNN7EXAMPLE"


def test_moto_list_mfa_devices_needs_a_user_name(aws: Any) -> None:
    with pytest.raises(ClientError) as caught:
        aws("iam").list_mfa_devices()
    assert caught.value.response["Error"]["Code"] == "NoSuchEntity"


def test_moto_organizations_make_random_account_ids(aws: Any) -> None:
    org = aws("organizations")
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(AccountName="dev", Email="dev@example.com")["CreateAccountStatus"]
    assert status["AccountId"] != "222222222222" and len(status["AccountId"]) == 12
