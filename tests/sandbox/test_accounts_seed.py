"""The sandbox's identities over HTTP: Organization, isolation, roles, users, MFA, enforcement."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from sandbox.aws.shared_models import boto_session
from sandbox.state import SandboxInfo

ENVS = ("dev", "stage", "prod")
ACCOUNTS = {
    "ops": "111111111111",
    "dev": "222222222222",
    "stage": "333333333333",
    "prod": "444444444444",
}
LEVELS = ("read", "deploy", "admin")


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        str(response["Error"].get("Message", "")),
    )


def test_organization_has_the_configured_account_ids(sandbox: SandboxInfo, alice: Any) -> None:
    org = alice.client("organizations")
    accounts = {a["Name"]: a["Id"] for a in org.list_accounts()["Accounts"]}
    assert set(accounts.values()) == set(ACCOUNTS.values())
    assert {accounts[env] for env in ENVS} == {sandbox.accounts[env] for env in ENVS}
    assert org.describe_organization()["Organization"]["MasterAccountId"] == "111111111111"


def test_state_names_users_accounts_and_roles(sandbox: SandboxInfo) -> None:
    assert sandbox.accounts == ACCOUNTS
    assert set(sandbox.users) == {"alice", "bob"}
    assert sandbox.user("alice").arn == "arn:aws:iam::111111111111:user/alice"
    assert sandbox.user("alice").mfa_serial == "arn:aws:iam::111111111111:mfa/alice"
    assert sandbox.roles["prod"]["deploy"] == "arn:aws:iam::444444444444:role/opskit-deploy"
    assert "secret" not in repr(sandbox) and sandbox.user("bob").secret_access_key not in repr(
        sandbox
    )


@pytest.mark.parametrize("env", ENVS)
@pytest.mark.parametrize("access", LEVELS)
def test_alice_enters_every_environment_at_every_level(
    sandbox: SandboxInfo, alice: Any, env: str, access: str
) -> None:
    identity = alice.client("sts", env=env, access=access).get_caller_identity()
    assert identity["Account"] == sandbox.accounts[env]
    assert identity["Arn"] == (
        f"arn:aws:sts::{sandbox.accounts[env]}:assumed-role/opskit-{access}/alice"
    )


def test_bob_enters_dev_only(sandbox: SandboxInfo, bob: Any) -> None:
    for access in LEVELS:
        assert bob.client("sts", env="dev", access=access).get_caller_identity()["Account"] == (
            "222222222222"
        )
    sts = bob.client("sts", retries=0)
    for env in ("stage", "prod"):
        code, status, message = error_of(
            lambda env=env: sts.assume_role(
                RoleArn=sandbox.roles[env]["read"], RoleSessionName="bob"
            )
        )
        assert (code, status) == ("AccessDenied", 403)
        assert "user/bob is not authorized to perform: sts:AssumeRole" in message


def test_resources_of_one_account_are_invisible_from_the_others(alice: Any) -> None:
    name = f"isolation-{uuid.uuid4().hex[:8]}"
    ecs = alice.client("ecs", env="dev", access="admin")
    r53 = alice.client("route53", env="dev", access="admin")
    ecs.create_cluster(clusterName=name)
    zone = r53.create_hosted_zone(Name=f"{name}.internal", CallerReference=name)["HostedZone"]["Id"]
    try:
        dev_clusters = alice.client("ecs", env="dev").list_clusters(maxResults=100)["clusterArns"]
        assert f"arn:aws:ecs:eu-west-1:222222222222:cluster/{name}" in dev_clusters
        for env in ("stage", "prod"):
            arns = [
                arn
                for page in alice.client("ecs", env=env).get_paginator("list_clusters").paginate()
                for arn in page["clusterArns"]
            ]
            assert not [arn for arn in arns if arn.endswith(f"/{name}")]
            zones = alice.client("route53", env=env).list_hosted_zones()["HostedZones"]
            assert zone not in [z["Id"] for z in zones]
        assert alice.client("ecs").list_clusters()["clusterArns"] == []  # the ops account
    finally:  # the shared estate stays as seeded
        ecs.delete_cluster(cluster=name)
        r53.delete_hosted_zone(Id=zone)


def test_read_role_cannot_mutate(alice: Any) -> None:
    name = f"readonly-{uuid.uuid4().hex[:8]}"
    denied = [
        lambda: alice.client("ecs", env="stage", retries=0).create_cluster(clusterName=name),
        lambda: alice.client("elbv2", env="stage", retries=0).create_target_group(
            Name=name, Protocol="HTTP", Port=80, VpcId="vpc-12345678"
        ),
        lambda: alice.client("route53", env="stage", retries=0).create_hosted_zone(
            Name=f"{name}.internal", CallerReference=name
        ),
        lambda: alice.client("logs", env="stage", retries=0).create_log_group(logGroupName=name),
        lambda: alice.client("iam", env="stage", retries=0).create_user(UserName=name),
    ]
    for call in denied:
        code, status, message = error_of(call)
        assert code in ("AccessDenied", "AccessDeniedException") and status == 403
        assert "assumed-role/opskit-read/alice is not authorized" in message
    clusters = alice.client("ecs", env="stage").describe_clusters(clusters=[name])["clusters"]
    assert [c for c in clusters if c["status"] == "ACTIVE"] == []


def test_deploy_role_changes_ecs_but_not_iam(alice: Any) -> None:
    name = f"deploy-{uuid.uuid4().hex[:8]}"
    ecs = alice.client("ecs", env="dev", access="deploy")
    assert ecs.create_cluster(clusterName=name)["cluster"]["clusterName"] == name
    ecs.delete_cluster(cluster=name)
    code, status, _ = error_of(
        lambda: alice.client("iam", env="dev", access="deploy", retries=0).create_user(
            UserName=name
        )
    )
    assert (code, status) == ("AccessDenied", 403)


def test_denied_json_service_answers_in_its_own_protocol(alice: Any) -> None:
    """moto renders auth errors as Query XML everywhere; the layer answers like AWS."""
    code, status, message = error_of(
        lambda: alice.client("ecs", env="prod", retries=0).delete_cluster(cluster="api")
    )
    assert (code, status) == ("AccessDeniedException", 403)
    assert "<" not in message and "ecs:DeleteCluster" in message


def test_unknown_keys_are_refused(sandbox: SandboxInfo) -> None:
    ecs = boto_session().client(
        "ecs",
        region_name=sandbox.region,
        endpoint_url=sandbox.endpoint_url,
        aws_access_key_id="AKIAUNKNOWNUNKNOWN00",
        aws_secret_access_key="nope",
    )
    code, status, _ = error_of(ecs.list_clusters)
    assert (code, status) == ("UnrecognizedClientException", 403)


def test_alice_mfa_session_enters_several_environments(sandbox: SandboxInfo, alice: Any) -> None:
    sts = alice.client("sts", retries=0)
    serial = sandbox.user("alice").mfa_serial
    assert [d["SerialNumber"] for d in alice.client("iam").list_mfa_devices()["MFADevices"]] == [
        serial
    ]
    code, status, message = error_of(
        lambda: sts.get_session_token(SerialNumber=serial, TokenCode="000x00")
    )
    assert (code, status) == ("AccessDenied", 403) and "MultiFactorAuthentication" in message

    creds = sts.get_session_token(SerialNumber=serial, TokenCode="123456", DurationSeconds=3600)[
        "Credentials"
    ]
    assert creds["AccessKeyId"].startswith("ASIA")
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=sandbox.region,
    )
    token_sts = session.client("sts", endpoint_url=sandbox.endpoint_url)
    assert token_sts.get_caller_identity()["Arn"] == "arn:aws:iam::111111111111:user/alice"
    for env in ("stage", "prod"):
        role = token_sts.assume_role(RoleArn=sandbox.roles[env]["read"], RoleSessionName="alice")
        assert role["AssumedRoleUser"]["Arn"].startswith(f"arn:aws:sts::{sandbox.accounts[env]}:")
    code, _, _ = error_of(token_sts.get_session_token)
    assert code == "AccessDenied"

    forged = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key="not-the-secret",
        aws_session_token=creds["SessionToken"],
        region_name=sandbox.region,
    ).client("sts", endpoint_url=sandbox.endpoint_url)
    assert error_of(forged.get_caller_identity)[0] == "SignatureDoesNotMatch"


def test_bob_session_token_does_not_widen_his_access(sandbox: SandboxInfo, bob: Any) -> None:
    creds = bob.client("sts").get_session_token()["Credentials"]
    sts = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=sandbox.region,
    ).client("sts", endpoint_url=sandbox.endpoint_url)
    assert sts.assume_role(RoleArn=sandbox.roles["dev"]["admin"], RoleSessionName="bob")
    code, status, _ = error_of(
        lambda: sts.assume_role(RoleArn=sandbox.roles["prod"]["read"], RoleSessionName="bob")
    )
    assert (code, status) == ("AccessDenied", 403)


@pytest.mark.parametrize("path", ["/moto-api/reset-auth", "/moto-api/reset"])
def test_clients_cannot_switch_enforcement_off(sandbox: SandboxInfo, bob: Any, path: str) -> None:
    request = urllib.request.Request(
        sandbox.endpoint_url + path,
        data=b"inf",
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request)
    assert refused.value.code == 403
    assert "IAM enforcement" in json.loads(refused.value.read())["error"]
    code, _, _ = error_of(
        lambda: bob.client("sts", retries=0).assume_role(
            RoleArn=sandbox.roles["prod"]["read"], RoleSessionName="bob"
        )
    )
    assert code == "AccessDenied"


def test_expired_temporary_credentials_are_refused() -> None:
    """AWS refuses credentials past their Expiration (moto never does); the shortest real
    session is 15 minutes, so this checks the sandbox's rule directly."""
    import dataclasses
    from datetime import UTC, datetime, timedelta

    from sandbox.aws.overrides import AwsApiError
    from sandbox.aws.sessions import SessionStore
    from sandbox.aws.wire import Signed

    store = SessionStore()
    issued = store.issue("AKIAUSERKEY000000000", "111111111111", 900)
    past = datetime.now(UTC) - timedelta(seconds=1)
    key = issued["AccessKeyId"]
    store._sessions[key] = dataclasses.replace(store._sessions[key], expires=past)
    environ = {"HTTP_X_AMZ_SECURITY_TOKEN": issued["SessionToken"]}
    with pytest.raises(AwsApiError) as expired:
        store.translate(environ, Signed(key, "eu-west-1", "sts"), "query")
    assert (expired.value.code, expired.value.status) == ("ExpiredToken", 400)

    store._role_expiry["ASIAROLEKEY000000000"] = past
    with pytest.raises(AwsApiError) as role_expired:
        store.translate({}, Signed("ASIAROLEKEY000000000", "eu-west-1", "ecs"), "json")
    assert role_expired.value.code == "ExpiredTokenException"
