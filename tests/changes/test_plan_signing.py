"""Signing saved plans: the local key, the team's KMS key, and `opskit apply` as users run it.

The KMS tests use the sandbox's seeded key ``alias/opskit-audit`` (ops account) through a
config that names it; the CLI tests run the installed `opskit` against the sandbox.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cli_inprocess import opskit_inprocess

from opskit.audit.signing import HmacSigner, KmsSigner
from opskit.changes import Engine, Plan
from opskit.changes.saved import plan_signers
from opskit.changes.service_changes import ScaleChange
from opskit.config import Config, parse_config
from opskit.errors import ConfigError, RefusedError
from opskit.workspace import Workspace
from sandbox.state import SandboxInfo

ROOT = Path(__file__).resolve().parents[2]
ALIAS = "alias/opskit-audit"
Make = Callable[..., Workspace]


def _with_kms(config: Config) -> Config:
    audit = config.audit.model_copy(update={"kms_key_id": ALIAS})
    return config.model_copy(update={"audit": audit})


def _canonical(data: dict[str, Any]) -> bytes:
    body = {k: v for k, v in data.items() if k != "signature"}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


# -- the local key ---------------------------------------------------------------------


def test_the_local_key_is_made_once_0600_and_is_per_state_dir(tmp_path: Path) -> None:
    first = HmacSigner.from_state_dir(tmp_path / "alice")
    again = HmacSigner.from_state_dir(tmp_path / "alice")
    other = HmacSigner.from_state_dir(tmp_path / "bob")
    key = tmp_path / "alice" / "signing.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
    assert first.key_id == again.key_id != other.key_id
    signature = first.sign(b"plan")
    assert again.verify(b"plan", signature)
    assert not first.verify(b"plan!", signature)
    assert not other.verify(b"plan", signature)
    assert not first.verify(b"plan", "not base64 at all!")
    key.chmod(0o644)
    with pytest.raises(RefusedError, match="readable by others"):
        HmacSigner.from_state_dir(tmp_path / "alice")


def test_kms_key_id_is_validated_in_the_config() -> None:
    text = (ROOT / "environments.toml").read_text()
    text = re.sub(r"(?m)^kms_key_id = .*$", "", text)
    good = text.replace("[audit]\n", f'[audit]\nkms_key_id = "{ALIAS}"\n', 1)
    assert parse_config(good, ROOT / "environments.toml").audit.kms_key_id == ALIAS
    bad = text.replace("[audit]\n", '[audit]\nkms_key_id = "my key"\n', 1)
    with pytest.raises(ConfigError, match="kms_key_id"):
        parse_config(bad, ROOT / "environments.toml")


# -- the team's KMS key ----------------------------------------------------------------


def test_kms_signs_a_digest_that_any_teammate_can_check(
    workspace: Make, alice: Any, bob: Any
) -> None:
    signer = KmsSigner(workspace().accounts.ops_client("kms"), ALIAS)
    data = b"x" * 10_000  # more than the 4,096 bytes KMS MACs: the digest is signed
    signature = signer.sign(data)
    assert signer.key_id == f"kms:{ALIAS}"
    assert signer.verify(data, signature) and not signer.verify(data + b"!", signature)
    assert not signer.verify(data, base64.urlsafe_b64encode(b"\0" * 32).decode())
    # bob checks it with his own credentials, straight through KMS
    message = b"opskit-kms-hmac-sha256-v1\n" + hashlib.sha256(data).digest()
    answer = bob.client("kms").verify_mac(
        Message=message,
        KeyId=ALIAS,
        MacAlgorithm="HMAC_SHA_256",
        Mac=base64.urlsafe_b64decode(signature),
    )
    assert answer["MacValid"] is True
    spec = alice.client("kms").describe_key(KeyId=ALIAS)["KeyMetadata"]
    assert (spec["KeySpec"], spec["KeyUsage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")


def test_a_kms_signed_plan_written_by_alice_is_applied_by_a_teammate(
    workspace: Make, tmp_path: Path
) -> None:
    alice = dataclasses.replace(
        workspace("alice"), state_dir=tmp_path / "alice", config=_with_kms(workspace().config)
    )
    mate = dataclasses.replace(
        workspace("bob"), state_dir=tmp_path / "bob", config=_with_kms(workspace("bob").config)
    )
    ecs = mate.accounts.client("dev", "ecs")
    desired = ecs.describe_services(cluster="app", services=["app-jobs"])["services"][0][
        "desiredCount"
    ]
    count = 2 if desired != 2 else 1
    plan = Engine.from_workspace(alice).plan(ScaleChange("dev", "app-jobs", count))
    writer = plan_signers(alice.config, alice.state_dir, alice.accounts)[0]
    assert writer.key_id == f"kms:{ALIAS}"
    plan.save(tmp_path / "team.json", writer)
    local = plan_signers(alice.config, alice.state_dir, alice.accounts)[-1]
    plan.save(tmp_path / "alice-only.json", local)

    trusted = plan_signers(mate.config, mate.state_dir, mate.accounts)
    with pytest.raises(RefusedError, match="which this workspace cannot check"):
        Plan.load(tmp_path / "alice-only.json", trusted)
    loaded = Plan.load(tmp_path / "team.json", trusted)
    assert Engine.from_workspace(mate).apply_saved(loaded).ok
    now = ecs.describe_services(cluster="app", services=["app-jobs"])["services"][0]
    assert now["desiredCount"] == count
    back = Engine.from_workspace(mate)
    back.apply(back.plan(ScaleChange("dev", "app-jobs", desired)))


# -- `opskit apply` as users run it ----------------------------------------------------


def _opskit(
    state: Path, *args: str, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPSKIT_STATE_DIR": str(state),
        "OPSKIT_CONFIG": str(config or ROOT / "environments.toml"),
    }
    return opskit_inprocess(env, *args)


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr
    return lines[-1]


@pytest.mark.slow
def test_cli_refuses_an_edited_or_oversized_plan_and_prod_needs_confirm(
    sandbox: SandboxInfo, opskit_state_dir: Path, tmp_path: Path, alice: Any
) -> None:
    state = opskit_state_dir
    ecs = alice.client("ecs", env="dev")
    desired = ecs.describe_services(cluster="api", services=["api"])["services"][0]["desiredCount"]
    count = 2 if desired != 2 else 3
    plan_file = tmp_path / "scale.json"
    saved = _opskit(state, "scale", "api", str(count), "--env", "dev", "--plan-out", str(plan_file))
    assert saved.returncode == 0, saved.stderr
    data = json.loads(plan_file.read_text())
    assert data["signature"]["key_id"] == f"kms:{ALIAS}"  # the repository's config names it

    data["diffs"][0]["after"] = 500
    plan_file.write_text(json.dumps(data))
    edited = _opskit(state, "apply", str(plan_file))
    assert edited.returncode == 7
    assert _one_line(edited.stderr).endswith("plan was modified after it was written; plan again")

    data["params"]["count"] = 500
    key = KmsSigner(alice.client("kms"), ALIAS)  # alice may sign: she edits, then re-signs
    data["signature"] = {"key_id": key.key_id, "value": key.sign(_canonical(data))}
    plan_file.write_text(json.dumps(data))
    oversized = _opskit(state, "apply", str(plan_file))
    assert oversized.returncode == 7
    assert "outside the configured bounds 1..4" in _one_line(oversized.stderr)
    after = ecs.describe_services(cluster="api", services=["api"])["services"][0]["desiredCount"]
    assert after == desired

    elb = alice.client("elbv2", env="prod")
    group = elb.describe_target_groups(Names=["prod-api"])["TargetGroups"][0]["TargetGroupArn"]

    def delay() -> int:
        attributes = elb.describe_target_group_attributes(TargetGroupArn=group)["Attributes"]
        values = {a["Key"]: a["Value"] for a in attributes}
        return int(values["deregistration_delay.timeout_seconds"])

    start = delay()
    prod_file = tmp_path / "prod.json"
    args = ("elb", "draining", "--env", "prod", "--match", "prod-api")
    made = _opskit(state, *args, "--seconds", str(start + 7), "--plan-out", str(prod_file))
    assert made.returncode == 0, made.stderr
    unconfirmed = _opskit(state, "apply", str(prod_file))
    assert unconfirmed.returncode == 7
    assert _one_line(unconfirmed.stderr).endswith("(type the name, or pass --confirm prod)")
    assert delay() == start
    confirmed = _opskit(state, "apply", str(prod_file), "--confirm", "prod")
    assert confirmed.returncode == 0, confirmed.stderr
    assert delay() == start + 7
    put_back = _opskit(state, *args, "--seconds", str(start), "--confirm", "prod")
    assert put_back.returncode == 0, put_back.stderr
    assert delay() == start


def test_cli_signs_with_the_teams_kms_key_when_the_config_names_it(
    sandbox: SandboxInfo, opskit_state_dir: Path, tmp_path: Path, alice: Any
) -> None:
    text = (ROOT / "environments.toml").read_text()
    without = re.sub(r"(?m)^kms_key_id = .*$", "", text)
    with_kms = tmp_path / "with-kms.toml"
    with_kms.write_text(without.replace("[audit]\n", f'[audit]\nkms_key_id = "{ALIAS}"\n', 1))
    local_only = tmp_path / "local-only.toml"
    local_only.write_text(without)
    elb = alice.client("elbv2", env="dev")
    group = elb.describe_target_groups(Names=["dev-billing"])["TargetGroups"][0]["TargetGroupArn"]
    attributes = elb.describe_target_group_attributes(TargetGroupArn=group)["Attributes"]
    start = {a["Key"]: a["Value"] for a in attributes}["deregistration_delay.timeout_seconds"]
    plan_file = tmp_path / "drain.json"
    args = ("elb", "draining", "--env", "dev", "--match", "dev-billing", "--seconds")
    seconds = "47" if start != "47" else "48"
    made = _opskit(opskit_state_dir, *args, seconds, "--plan-out", str(plan_file), config=with_kms)
    assert made.returncode == 0, made.stderr
    assert json.loads(plan_file.read_text())["signature"]["key_id"] == f"kms:{ALIAS}"
    # without the KMS key in its config, a workspace cannot check the team's signature
    refused = _opskit(opskit_state_dir, "apply", str(plan_file), config=local_only)
    assert refused.returncode == 7
    assert "cannot check" in _one_line(refused.stderr)
    applied = _opskit(opskit_state_dir, "apply", str(plan_file), config=with_kms)
    assert applied.returncode == 0, applied.stderr
    put_back = _opskit(opskit_state_dir, *args, start)  # other tests expect dev uniform
    assert put_back.returncode == 0, put_back.stderr
