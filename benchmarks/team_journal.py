"""What the team journal and team locks add to each change: API calls and milliseconds.

Run: .venv/bin/python benchmarks/team_journal.py [--changes N] [--delay-ms 30]
Times the engine's journaling and locking steps alone (lock the resource, append the
intent, append the outcome, release), which are all a change pays for the journal; the
change's own ECS calls are the same either way. Three set-ups, on the sandbox (started if
needed; the repository's environments.toml):

- local only: HMAC-signed local journal and this machine's lock files (no API calls);
- team: KMS-signed records in the audit bucket (conditional writes) and S3 leases;
- team with ``--delay-ms`` of added latency on every S3 and KMS call (a sandbox fault rule,
  like ``opskit sandbox faults set --service s3 --kind latency --delay-ms 30``).

Each uses its own key prefix in the bucket; also prints ``audit verify``'s cost over them.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from opskit.audit.journal import Journal
from opskit.audit.setup import open_journal
from opskit.audit.signing import HmacSigner
from opskit.audit.team import TeamStore
from opskit.audit.team_verify import team_verify
from opskit.changes.leases import locks_for
from opskit.changes.locks import Locks, ResourceLocks
from opskit.workspace import open_workspace, state_dir

ROOT = Path(__file__).resolve().parents[1]
RESOURCE = "dev/ecs/service/bench/bench"


def one_change(journal: Journal, locks: Locks, n: int) -> None:
    """The engine's journal and lock steps of one change."""
    with locks.hold([RESOURCE], "bench", f"scale bench{n}"):
        journal.append({"type": "intent", "change_id": f"bench{n}", "summary": "bench"})
        journal.append({"type": "outcome", "change_id": f"bench{n}", "outcome": "applied"})


def measure(label: str, journal: Journal, locks: Locks, ws: Any, n: int) -> list[str]:
    calls_before = ws.accounts.calls.total
    took: list[float] = []
    for i in range(n):
        start = time.perf_counter()
        one_change(journal, locks, i)
        took.append((time.perf_counter() - start) * 1000)
    calls = (ws.accounts.calls.total - calls_before) / n
    first, rest = took[0], took[1:] or took
    return [
        f"{label:<34} {calls:>7.1f} {statistics.median(rest):>10.1f} {first:>10.1f}"
        f" {max(took):>9.1f}"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--delay-ms", type=int, default=30)
    options = parser.parse_args()
    from sandbox.control import clear_faults, set_fault
    from sandbox.process import status

    ws = open_workspace(ROOT / "environments.toml")
    info = status(state_dir())
    assert info is not None, "the sandbox is not running"
    print(
        f"{'set-up (per change)':<34} {'calls':>7} {'median ms':>10} {'first ms':>10} {'max ms':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        local_state = Path(tmp) / "local"
        local_state.mkdir()
        journal = Journal(
            local_state / "journal.jsonl", signer=HmacSigner.from_state_dir(local_state)
        )
        for line in measure(
            "local only (HMAC, lock files)",
            journal,
            ResourceLocks(local_state / "locks"),
            ws,
            options.changes,
        ):
            print(line)
        runs: list[tuple[str, Path, Any]] = []
        for label, delay in (
            ("team (S3 + KMS)", 0),
            (f"team, +{options.delay_ms} ms a call", options.delay_ms),
        ):
            prefix = f"bench-{uuid.uuid4().hex[:8]}/"
            audit = ws.config.audit.model_copy(update={"prefix": prefix})
            config = ws.config.model_copy(update={"audit": audit})
            here = Path(tmp) / prefix.rstrip("/")
            here.mkdir()
            journal = open_journal(config, ws.accounts, here, here / "journal.jsonl")
            locks = locks_for(config, ws.accounts, here, journal)
            rules = []
            if delay:
                rules = [
                    set_fault(info, service=s, kind="latency", delay_ms=delay)["id"]
                    for s in ("s3", "kms")
                ]
            try:
                for line in measure(label, journal, locks, ws, options.changes):
                    print(line)
                if delay:
                    runs.append((label, here, journal))
            finally:
                for rule in rules:
                    clear_faults(info, rule)
        for _label, _, journal in runs:
            store = journal.shipper
            assert isinstance(store, TeamStore)
            calls = ws.accounts.calls.total
            start = time.perf_counter()
            result = team_verify(journal, store)
            took = time.perf_counter() - start
            print(
                f"audit verify of {result.team_records} team records (no added latency): "
                f"{ws.accounts.calls.total - calls} calls, {took * 1000:.0f} ms, ok={result.ok}"
            )
        print("by operation:", dict(sorted(ws.accounts.calls.by_operation().items())))


if __name__ == "__main__":
    main()
