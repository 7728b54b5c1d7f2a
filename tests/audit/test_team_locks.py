"""Team locks over HTTP: leases in the audit bucket, contended by processes with their own
state dirs; refusal names the holder, expired leases are taken over (and journaled), and a
change that cannot reach the bucket is refused before anything is touched."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from team_support import BUCKET, CONFIG, fresh_prefix, store_of, team_journal, team_locks

from opskit.audit import Actor, Journal
from opskit.changes import Engine
from opskit.changes.service_changes import ScaleChange
from opskit.errors import AwsError, ExitCode, RefusedError

pytestmark = pytest.mark.usefixtures("sandbox")
ROOT = Path(__file__).resolve().parents[2]
OPSKIT = str(Path(sys.executable).with_name("opskit"))
API_DEV = "dev/ecs/service/api/api"

HOLDER = """
import sys
from pathlib import Path
sys.path[:0] = ["tests", "tests/audit"]
from conftest import AwsAs
from sandbox.process import ensure_running
from team_support import team_journal, team_locks
info = ensure_running(Path(sys.argv[1]), Path(sys.argv[2]))
alice = AwsAs(info, "alice")
journal = team_journal(alice, Path(sys.argv[3]), sys.argv[4])
with team_locks(alice, sys.argv[4], journal).hold([sys.argv[5]], "alice", "scale hold-1"):
    print("held", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def holder(tmp_path: Path, opskit_state_dir: Path) -> Iterator[subprocess.Popen[str]]:
    """Another engineer (own process, own state dir) holding the lease on dev's api."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            HOLDER,
            str(ROOT / "environments.toml"),
            str(opskit_state_dir),
            str(tmp_path / "other-engineer"),
            CONFIG.audit.prefix,
            API_DEV,
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line == "held\n", process.stderr.read() if process.stderr else ""
    yield process
    process.communicate("", timeout=60)
    assert process.returncode == 0


def test_a_second_engineer_is_refused_with_exit_7_naming_the_holder(
    holder: subprocess.Popen[str], sandbox_env: dict[str, str], alice: Any
) -> None:
    lease_key = f"{CONFIG.audit.prefix}locks/{API_DEV}.json"
    lease = json.loads(alice.client("s3").get_object(Bucket=BUCKET, Key=lease_key)["Body"].read())
    refused = subprocess.run(
        [OPSKIT, "scale", "api", "4", "--env", "dev"],
        env=sandbox_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 7 and ExitCode.REFUSED.value == 7, refused.stderr
    assert (
        f"{API_DEV} is locked by alice (scale hold-1, pid {holder.pid} on "
        f"{socket.gethostname()}, since {lease['since']}" in refused.stderr
    )
    assert "Traceback" not in refused.stderr
    holder.communicate("", timeout=60)  # released by delete: the lease is gone
    with pytest.raises(ClientError) as gone:
        alice.client("s3", retries=0).get_object(Bucket=BUCKET, Key=lease_key)
    assert gone.value.response["Error"]["Code"] == "NoSuchKey"


def _past(seconds: float) -> str:
    when = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_an_expired_lease_is_taken_over_and_the_takeover_journaled(
    alice: Any, tmp_path: Path
) -> None:
    prefix = fresh_prefix()
    journal = team_journal(alice, tmp_path, prefix)
    locks = team_locks(alice, prefix, journal)
    dead = {"user": "bob", "host": "laptop-7", "pid": 4242, "change": "restart dead-1"}
    dead |= {"resource": API_DEV, "since": _past(600), "expires": _past(300)}
    s3 = alice.client("s3")
    s3.put_object(Bucket=BUCKET, Key=locks.key(API_DEV), Body=json.dumps(dead), IfNoneMatch="*")
    with locks.hold([API_DEV], "alice", "scale abc123"):
        now = json.loads(s3.get_object(Bucket=BUCKET, Key=locks.key(API_DEV))["Body"].read())
        assert (now["user"], now["change"]) == ("alice", "scale abc123")
    (takeover,) = [r for r in journal.records() if r["type"] == "lock_takeover"]
    assert takeover["change_id"] == "abc123" and takeover["previous"]["user"] == "bob"
    assert "took over the expired lock on dev/ecs/service/api/api from bob" in takeover["summary"]
    team = list(store_of(journal).records(cached=False))
    assert [r["type"] for r in team] == ["lock_takeover"]


def test_the_heartbeat_keeps_a_long_change_locked(alice: Any, tmp_path: Path) -> None:
    prefix = fresh_prefix()
    locks = team_locks(alice, prefix, None, lease=0.6)
    other = team_locks(alice, prefix, None, lease=0.6)
    s3 = alice.client("s3")

    def lease() -> dict[str, Any]:
        body = s3.get_object(Bucket=BUCKET, Key=locks.key(API_DEV))["Body"].read()
        return json.loads(body)  # type: ignore[no-any-return]

    with locks.hold([API_DEV], "alice", "deploy long-1"):
        first = lease()
        time.sleep(1.5)  # more than twice the lease: only renewals keep it ours
        renewed = lease()
        assert renewed["since"] == first["since"] and renewed["expires"] > first["expires"]
        with (
            pytest.raises(RefusedError, match="is locked by alice \\(deploy long-1"),
            other.hold([API_DEV], "bob", "scale short-2"),
        ):
            pass
    assert locks.renewals >= 3 and locks.lost == []
    with other.hold([API_DEV], "bob", "scale short-2"):  # released: free again
        pass


def test_a_change_without_the_bucket_is_refused_before_anything_is_touched(
    alice: Any, tmp_path: Path, sandbox_faults: Any
) -> None:
    from opskit.workspace import open_workspace

    ws = open_workspace(user="alice")
    prefix = fresh_prefix()
    journal = team_journal(alice, tmp_path, prefix, retries=0)
    locks = team_locks(alice, prefix, journal)
    locks._client_factory = lambda: alice.client("s3", retries=0)
    engine = Engine(ws.config, ws.accounts, journal, locks, lambda: Actor("alice"))
    plan = engine.plan(ScaleChange("dev", "api-worker", 3))
    before = plan.diffs[0].before
    sandbox_faults.set(service="s3", kind="error")
    with pytest.raises(AwsError) as refused:
        engine.apply(plan)
    assert refused.value.exit_code == 5 and ExitCode.AWS.value == 5
    assert "s3://" in str(refused.value)
    sandbox_faults.clear()
    ecs = ws.accounts.client("dev", "ecs")
    (service,) = ecs.describe_services(cluster="api", services=["api-worker"])["services"]
    assert service["desiredCount"] == before
    assert not journal.path.exists()
    assert list(Journal(journal.path).records()) == []
