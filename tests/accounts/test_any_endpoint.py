"""opskit against an AWS-compatible endpoint someone else runs, set up by environments.toml alone.

The test seeds its own moto server (other account ids, other names, no sandbox), writes a
config pointing at it, and uses opskit end to end: identity, role switching, MFA, refresh,
the cache file, and the CLI as a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from opskit.accounts import Accounts, Login
from opskit.config import load_config

OPS, QA, LIVE = "555555555555", "666666666666", "777777777777"
REGION = "us-east-2"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _client(url: str, service: str, account: str | None = None) -> object:
    base = boto3.Session(aws_access_key_id="seed", aws_secret_access_key="seed", region_name=REGION)
    if account is None:
        return base.client(service, endpoint_url=url)
    creds = base.client("sts", endpoint_url=url).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/seeder", RoleSessionName="seed"
    )["Credentials"]
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture(scope="module")
def seeded(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    iam_ops = _client(moto_url, "iam", OPS)
    iam_ops.create_user(UserName="carol")  # type: ignore[attr-defined]
    key = iam_ops.create_access_key(UserName="carol")["AccessKey"]  # type: ignore[attr-defined]
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{OPS}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    for account in (QA, LIVE):
        iam = _client(moto_url, "iam", account)
        for role in ("team-ro", "team-rw"):
            iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)  # type: ignore[attr-defined]
    _client(moto_url, "ecs", QA).create_cluster(clusterName="qa-orders")  # type: ignore[attr-defined]
    _client(moto_url, "ecs", LIVE).create_cluster(clusterName="live-orders")  # type: ignore[attr-defined]
    folder = tmp_path_factory.mktemp("team")
    config = folder / "environments.toml"
    config.write_text(
        f"""
[ops]
account_id = "{OPS}"
region = "{REGION}"
login = "environment"
endpoint_url = "{moto_url}"

[access]
read = "team-ro"
deploy = "team-rw"

[environments.qa]
account_id = "{QA}"
regions = ["{REGION}"]

[environments.live]
account_id = "{LIVE}"
regions = ["{REGION}"]
protected = true
"""
    )
    return {
        "config": str(config),
        "key": key["AccessKeyId"],
        "secret": key["SecretAccessKey"],
        "state": str(folder / "state"),
    }


@pytest.fixture()
def carol_env(seeded: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "OPSKIT_"))}
    env.update(
        AWS_ACCESS_KEY_ID=seeded["key"],
        AWS_SECRET_ACCESS_KEY=seeded["secret"],
        OPSKIT_CONFIG=seeded["config"],
        OPSKIT_STATE_DIR=seeded["state"],
    )
    for name in list(os.environ):
        if name.startswith(("AWS_", "OPSKIT_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith(("AWS_", "OPSKIT_")):
            monkeypatch.setenv(name, value)
    return env


def _accounts(seeded: dict[str, str], tmp_path: Path, **kwargs: object) -> Accounts:
    config = load_config(seeded["config"])
    return Accounts(config, Login.from_config(config), cache_dir=tmp_path, **kwargs)  # type: ignore[arg-type]


def test_identity_and_role_switching(
    seeded: dict[str, str], carol_env: dict[str, str], tmp_path: Path
) -> None:
    accounts = _accounts(seeded, tmp_path)
    who = accounts.whoami()
    assert who.account_id == OPS
    assert who.user_name == "carol"
    qa = accounts.client("qa", "ecs")
    live = accounts.client("live", "ecs", access="deploy")
    assert [a.rsplit("/", 1)[1] for a in qa.list_clusters()["clusterArns"]] == ["qa-orders"]
    assert [a.rsplit("/", 1)[1] for a in live.list_clusters()["clusterArns"]] == ["live-orders"]
    caller = (
        accounts.session("qa")
        .client("sts", endpoint_url=accounts.endpoint_url())
        .get_caller_identity()
    )
    assert caller["Account"] == QA
    assert "team-ro" in caller["Arn"] and caller["Arn"].endswith("/carol")
    assert accounts.calls.by_operation()["ecs.ListClusters"] == 2


def test_cache_file_is_private_and_holds_only_temporary_keys(
    seeded: dict[str, str], carol_env: dict[str, str], tmp_path: Path
) -> None:
    accounts = _accounts(seeded, tmp_path)
    accounts.credentials("qa", "read")
    accounts.credentials("live", "deploy")
    cache = tmp_path / "credentials.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    text = cache.read_text()
    assert seeded["key"] not in text and seeded["secret"] not in text
    entries = json.loads(text)
    assert {k.split("|", 1)[1] for k in entries} == {"qa|read", "live|deploy"}
    assert all(e["SessionToken"] for e in entries.values())
    # another process (another Accounts) reuses the cached session: no new AssumeRole
    again = _accounts(seeded, tmp_path)
    assert (
        again.credentials("qa", "read").access_key_id
        == accounts.credentials("qa", "read").access_key_id
    )
    assert "sts.AssumeRole" not in again.calls.by_operation()


def test_session_keeps_working_past_expiry(
    seeded: dict[str, str], carol_env: dict[str, str], tmp_path: Path
) -> None:
    accounts = _accounts(seeded, tmp_path, role_duration=900)
    ecs = accounts.client("qa", "ecs")
    ecs.list_clusters()
    credentials = accounts.session("qa").get_credentials()
    assert credentials is not None
    first_key = credentials.get_frozen_credentials().access_key
    # pretend the role session expired an hour ago
    credentials._expiry_time = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)  # type: ignore[attr-defined]  # a refreshable one
    assert ecs.list_clusters()["clusterArns"]
    assert credentials.get_frozen_credentials().access_key != first_key


def test_mfa_prompts_once_for_every_environment(
    seeded: dict[str, str], carol_env: dict[str, str], tmp_path: Path
) -> None:
    config = load_config(seeded["config"])
    config = config.model_copy(
        update={
            "ops": config.ops.model_copy(update={"mfa_serial": f"arn:aws:iam::{OPS}:mfa/carol"})
        }
    )
    asked: list[str] = []

    def prompt(serial: str) -> str:
        asked.append(serial)
        return "123456"

    accounts = Accounts(config, Login.from_config(config), cache_dir=tmp_path, mfa_prompt=prompt)
    for env, access in (("qa", "read"), ("live", "read"), ("live", "deploy")):
        accounts.credentials(env, access)
    assert asked == [f"arn:aws:iam::{OPS}:mfa/carol"]
    assert accounts.mfa_active() is not None
    later = Accounts(config, Login.from_config(config), cache_dir=tmp_path, mfa_prompt=prompt)
    later.credentials("qa", "deploy")
    assert len(asked) == 1  # a second process reuses the cached MFA session token


def _opskit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("opskit")
    return subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=60)


def test_cli_against_the_endpoint(seeded: dict[str, str], carol_env: dict[str, str]) -> None:
    envs = _opskit("envs", "--output", "json", env=carol_env)
    assert envs.returncode == 0, envs.stderr
    rows = {row["environment"]: row for row in json.loads(envs.stdout)}
    assert rows["qa"]["access"] == {"read": "yes", "deploy": "yes"}
    assert rows["live"]["protected"] is True
    who = _opskit("whoami", "-o", "json", env=carol_env)
    assert json.loads(who.stdout)["user"] == "carol"
    code = "import boto3; print(boto3.client('ecs').list_clusters()['clusterArns'][0])"
    ran = _opskit("exec", "--env", "live", "--", sys.executable, "-c", code, env=carol_env)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip().endswith(":cluster/live-orders")
    failing = _opskit(
        "exec", "--env", "qa", "--", sys.executable, "-c", "raise SystemExit(7)", env=carol_env
    )
    assert failing.returncode == 7
    console = _opskit("console", "--env", "qa", env=carol_env)
    assert console.returncode == 2
    assert "not AWS: there is no AWS console" in console.stderr
    assert len(console.stderr.strip().splitlines()) == 1


def test_unknown_environment_is_one_line(seeded: dict[str, str], carol_env: dict[str, str]) -> None:
    result = _opskit("exec", "--env", "staging", "--", "true", env=carol_env)
    assert result.returncode == 2
    assert result.stderr.strip() == "opskit: unknown environment 'staging' (known: live, qa)"


def test_no_credentials_is_an_auth_error(seeded: dict[str, str], carol_env: dict[str, str]) -> None:
    env = {k: v for k, v in carol_env.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    result = _opskit("whoami", env=env)
    assert result.returncode == 4, result.stderr
    assert "no usable AWS credentials" in result.stderr
    assert "Traceback" not in result.stderr
