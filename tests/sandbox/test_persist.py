"""`opskit sandbox stop` then `start` keeps the estate as the journal left it; `reset` starts
over. A sandbox of its own (its own state directory): the session's is left running.

The journal says what each change did (its applied diffs); boto3 over HTTP says what the
restarted sandbox serves. They must agree.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from aws_clients import AwsAs

from sandbox.state import read_state

ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))
IMAGE = "ghcr.io/acme/api:9.9.9"


def opskit(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [OPSKIT, *args], env=env, capture_output=True, text=True, timeout=400, check=False
    )
    assert done.returncode == 0, (args, done.returncode, done.stderr)
    return done


def _applied_diffs(state_dir: Path) -> dict[tuple[str, str], Any]:
    """resource, field -> value after, for every applied change in the local journal."""
    after: dict[tuple[str, str], Any] = {}
    for line in (state_dir / "journal.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["type"] == "outcome" and record.get("outcome") == "applied":
            for diff in record["what"]["diffs"]:
                after[(diff["resource"], diff["field"])] = diff["after"]
    return after


def _live(state_dir: Path) -> tuple[str, dict[str, int]]:
    """dev api's image and prod's www weights, read over HTTP as alice."""
    info = read_state(state_dir)
    assert info is not None
    alice = AwsAs(info, "alice")
    ecs = alice.client("ecs", env="dev")
    [service] = ecs.describe_services(cluster="api", services=["api"])["services"]
    definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
    [container] = definition["taskDefinition"]["containerDefinitions"]
    route53 = alice.client("route53", env="prod")
    [zone] = [
        z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"] == "acme.internal."
    ]
    records = route53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
    weights = {r["SetIdentifier"]: r["Weight"] for r in records
               if r["Name"] == "www.acme.internal." and "Weight" in r}  # fmt: skip
    return str(container["image"]), weights


@pytest.mark.slow
def test_stop_then_start_keeps_the_estate_and_reset_starts_over(tmp_path: Path) -> None:
    env = {**os.environ, "OPSKIT_STATE_DIR": str(tmp_path),
           "OPSKIT_CONFIG": str(ROOT / "environments.toml")}  # fmt: skip
    try:
        opskit(env, "sandbox", "start")
        seeded_image, seeded_weights = _live(tmp_path)
        opskit(env, "deploy", "api", "--env", "dev", "--image", "9.9.9")
        opskit(env, "dns", "shift", "www", "--to", "new", "--steps", "30", "--pause", "0",
               "--confirm", "prod")  # fmt: skip
        journal = _applied_diffs(tmp_path)
        assert journal[("dev/ecs/service/api/api", "image:api")] == IMAGE
        said = {set_id: journal[(f"prod/route53/acme.internal/www.acme.internal/{set_id}",
                                 "weight")] for set_id in seeded_weights}  # fmt: skip
        assert said != seeded_weights

        opskit(env, "sandbox", "stop")
        assert read_state(tmp_path) is None
        opskit(env, "sandbox", "start")
        image, weights = _live(tmp_path)
        assert image == IMAGE and weights == said, "the estate is as the journal left it"

        opskit(env, "sandbox", "reset")
        assert _live(tmp_path) == (seeded_image, seeded_weights), "reset starts over"
    finally:
        subprocess.run([OPSKIT, "sandbox", "stop"], env=env, capture_output=True, check=False)
