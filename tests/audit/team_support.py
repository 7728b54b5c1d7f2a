"""Helpers for team-journal tests: a journal, store and locks on the sandbox's audit bucket.

Each test gets its own key prefix in the bucket (``t-<random>/``), so its team chain is its
own; clients are plain boto3 clients as a sandbox user (conftest's ``AwsAs``), over HTTP.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from opskit.audit import Journal
from opskit.audit.signing import KmsSigner
from opskit.audit.team import TeamStore, writer_id
from opskit.changes.leases import TeamLocks
from opskit.config import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIG = load_config(ROOT / "environments.toml")
BUCKET = str(CONFIG.audit.s3_bucket)
KEY = str(CONFIG.audit.kms_key_id)


def fresh_prefix() -> str:
    return f"t-{uuid.uuid4().hex[:10]}/"


def team_journal(user: Any, state: Path, prefix: str, retries: int = 2) -> Journal:
    """A local journal in ``state`` shipping to ``prefix`` of the audit bucket as ``user``."""
    signer = KmsSigner(lambda: user.client("kms", retries=retries), KEY)
    store = TeamStore(
        lambda: user.client("s3", retries=retries),
        BUCKET,
        prefix,
        signer,
        writer=writer_id(state),
        cache_dir=state,
    )
    return Journal(state / "journal.jsonl", signer=signer, shipper=store)


def store_of(journal: Journal) -> TeamStore:
    assert isinstance(journal.shipper, TeamStore)
    return journal.shipper


def team_locks(user: Any, prefix: str, journal: Journal | None, lease: float = 30) -> TeamLocks:
    return TeamLocks(lambda: user.client("s3"), BUCKET, prefix, lease, journal)


def fill(journal: Journal, n: int, start: int = 0) -> list[dict[str, Any]]:
    return [
        journal.append({"type": "intent", "change_id": f"c{i}", "summary": f"change {i}"})
        for i in range(start, start + n)
    ]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in path.read_text().splitlines()]


def write_lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text(
        "".join(
            json.dumps(r, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
            for r in records
        )
    )
