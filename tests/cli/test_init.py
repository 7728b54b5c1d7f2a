"""`opskit init` over HTTP: the file it writes passes `config check` and lists the same
estate as the repository's config; it is idempotent, refuses to overwrite, and works
against any endpoint. Expected accounts come from the Organization as boto3 reads it."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess

REPO_CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"


def opskit(
    env: dict[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(env, *args, cwd=cwd)


def own_env(sandbox_env: dict[str, str]) -> dict[str, str]:
    env = dict(sandbox_env)
    env.pop("OPSKIT_CONFIG", None)  # init needs no config
    return env


def members(alice: Any) -> dict[str, str]:
    """Member account id -> name, but the ops account alice logs in to."""
    me = alice.client("sts").get_caller_identity()["Account"]
    org = alice.client("organizations")
    return {a["Id"]: a["Name"] for a in org.list_accounts()["Accounts"] if a["Id"] != me}


KEYS = {
    "clusters": ("env", "cluster", "services", "instances"),
    "services": ("env", "cluster", "service", "desired", "task_definition"),
}


def listing(env: dict[str, str], config: Path, what: str) -> list[tuple[str, ...]]:
    done = opskit(env, "--config", str(config), "ls", what, "-o", "json")
    assert done.returncode == 0, done.stderr
    keys = KEYS[what]
    return sorted(tuple(str(r[k]) for k in keys) for r in json.loads(done.stdout))


@pytest.mark.slow
def test_init_writes_a_config_that_lists_the_same_estate(
    sandbox: Any, sandbox_env: dict[str, str], alice: Any, tmp_path: Path
) -> None:
    env = own_env(sandbox_env)
    done = opskit(env, "init", "--login", "sandbox", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    written = tmp_path / "environments.toml"
    text = written.read_text()
    assert text.startswith("# ") and "catalog" in text  # commented

    check = opskit(env, "--config", str(written), "config", "check")
    assert check.returncode == 0, check.stderr
    shown = opskit(env, "--config", str(written), "config", "show", "-o", "json")
    config = json.loads(shown.stdout)
    accounts = {e["account_id"]: name for name, e in config["environments"].items()}
    assert set(accounts) == set(members(alice))
    assert all(accounts[i] == n for i, n in members(alice).items())  # names from the accounts
    assert config["clusters"] == {} and config["services"] == {}
    orders = sorted(config["environments"], key=lambda n: config["environments"][n]["order"])
    assert orders == ["dev", "stage", "prod"] and config["environments"]["prod"]["protected"]

    # Other tests may have left clusters in regions the repository's config does not name
    # (test_regions_paging's, in dev): init adds such a region, and only such a region.
    found = {name: e["regions"] for name, e in config["environments"].items()}
    repo = {name: e["regions"] for name, e in tomllib.loads(REPO_CONFIG.read_text())
            ["environments"].items()}  # fmt: skip
    for name, regions in found.items():
        extra = [r for r in regions if r not in repo[name]]
        assert set(repo[name]) <= set(regions)
        assert regions_with_clusters(sandbox, alice, name, extra) == extra, (name, extra)
    expected = same_regions(REPO_CONFIG, found, tmp_path / "repo-same-regions.toml")
    for what in ("clusters", "services"):
        assert listing(env, written, what) == listing(env, expected, what)


def same_regions(config: Path, regions: dict[str, list[str]], out: Path) -> Path:
    """A copy of ``config`` whose environments run in ``regions``."""
    lines, section = [], ""
    for line in config.read_text().splitlines():
        if line.startswith("["):
            section = line.strip("[] ").removeprefix("environments.")
        if line.startswith("regions = ") and section in regions:
            line = f"regions = {json.dumps(regions[section])}"
        lines.append(line)
    out.write_text("\n".join(lines) + "\n")
    return out


@pytest.mark.slow
def test_init_is_idempotent_and_refuses_to_overwrite(
    sandbox_env: dict[str, str], tmp_path: Path
) -> None:
    env = own_env(sandbox_env)
    out = tmp_path / "estate.toml"
    first = opskit(env, "init", "--login", "sandbox", "--out", str(out))
    assert first.returncode == 0, first.stderr
    original = out.read_bytes()
    again = opskit(env, "init", "--login", "sandbox", "--out", str(out))
    assert again.returncode == 0 and out.read_bytes() == original, again.stderr
    out.write_text(original.decode() + "# mine\n")
    refused = opskit(env, "init", "--login", "sandbox", "--out", str(out))
    assert refused.returncode == 7, refused.stderr
    assert refused.stderr.strip().splitlines()[-1] == (
        f"opskit: {out} exists and differs; --force overwrites it"
    )
    assert out.read_text().endswith("# mine\n")
    forced = opskit(env, "init", "--login", "sandbox", "--out", str(out), "--force")
    assert forced.returncode == 0 and out.read_bytes() == original, forced.stderr


@pytest.mark.slow
def test_init_against_any_endpoint_with_environment_credentials(
    sandbox: Any, sandbox_env: dict[str, str], alice: Any, tmp_path: Path
) -> None:
    user = sandbox.user("alice")
    env = own_env(sandbox_env)
    env.update(AWS_ACCESS_KEY_ID=user.access_key_id, AWS_SECRET_ACCESS_KEY=user.secret_access_key)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE"):
        env.pop(name, None)
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    out = tmp_path / "any.toml"
    done = opskit(env, "init", "--endpoint-url", sandbox.endpoint_url, "--region", "eu-west-1",
                  "--accounts", "dev,prod", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert 'login = "environment"' in text and f'endpoint_url = "{sandbox.endpoint_url}"' in text
    check = opskit(env, "--config", str(out), "config", "show", "-o", "json")
    assert check.returncode == 0, check.stderr
    environments = json.loads(check.stdout)["environments"]
    assert set(environments) == {"dev", "prod"}
    found = {name: e["regions"] for name, e in environments.items()}
    expected = same_regions(REPO_CONFIG, found, tmp_path / "repo-same-regions.toml")
    ours = listing(env, out, "clusters")
    assert ours == [row for row in listing(sandbox_env, expected, "clusters")
                    if row[0] in ("dev", "prod")]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["--accounts", "nope"], 2, "--accounts: nope not in the Organization"),
        (["--role-names", "read=nobody-here"], 4, "no access role could be assumed"),
        (["--role-names", "reader"], 2, "is not LEVEL=ROLE"),
    ],
    ids=["unknown-account", "no-role", "bad-role-names"],
)
def test_init_bad_input_is_one_line(
    sandbox_env: dict[str, str], tmp_path: Path, args: list[str], code: int, words: str
) -> None:
    out = tmp_path / "x.toml"
    done = opskit(own_env(sandbox_env), "init", "--login", "sandbox", "--out", str(out), *args)
    assert done.returncode == code, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("opskit: ") and words in last and "Traceback" not in done.stderr
    assert not out.exists()


def regions_with_clusters(sandbox: Any, alice: Any, env: str, regions: list[str]) -> list[str]:
    """Which of ``regions`` have ECS clusters in ``env``, as boto3 with the read role sees it."""
    import boto3

    creds = alice.credentials(env, "read")
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    return [
        region
        for region in regions
        if session.client(
            "ecs", region_name=region, endpoint_url=sandbox.endpoint_url
        ).list_clusters()["clusterArns"]
    ]


def test_init_without_list_accounts_takes_account_ids(
    sandbox: Any, sandbox_env: dict[str, str], sandbox_faults: Any, alice: Any, tmp_path: Path
) -> None:
    sandbox_faults.set(service="organizations", operation="ListAccounts", kind="deny")
    env = own_env(sandbox_env)
    out = tmp_path / "ids.toml"
    denied = opskit(env, "init", "--login", "sandbox", "--out", str(out))
    assert denied.returncode == 4, denied.stderr
    assert "ListAccounts" in denied.stderr and "--accounts" in denied.stderr
    assert not out.exists()
    dev = sandbox.accounts["dev"]
    done = opskit(env, "init", "--login", "sandbox", "--accounts", dev, "--regions",
                  "eu-west-1,us-east-1", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    shown = opskit(env, "--config", str(out), "config", "show", "-o", "json")
    assert shown.returncode == 0, shown.stderr
    (found,) = json.loads(shown.stdout)["environments"].values()
    expected = regions_with_clusters(sandbox, alice, "dev", ["eu-west-1", "us-east-1"])
    assert found["account_id"] == dev and found["regions"] == expected
