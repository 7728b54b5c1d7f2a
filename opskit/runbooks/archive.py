"""The run archive: every executed (redacted) notebook and its run record, kept per run.

A run is a folder (or S3 prefix) named by its run id holding ``<runbook>.ipynb`` and
``run.json``. The record is written when the run starts (outcome ``running``) and again when
it ends, so a run that dies midway is still listed. ``[runbooks] archive`` picks the store:
empty -> ``<state dir>/runs``; a folder; or ``s3://bucket/prefix`` in the ops account.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from opskit.aws import s3
from opskit.config import Config
from opskit.errors import UsageError

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

RECORD = "run.json"


@dataclass
class RunRecord:
    """One run of a runbook: what ran, with what, how it ended and where its copy is."""

    run_id: str
    runbook: str
    params: dict[str, Any]
    env: str | None
    apply: bool
    user: str
    archive: str
    notebook_sha256: str
    started_at: str
    outcome: str = "running"  # running | succeeded | failed | interrupted
    finished_at: str | None = None
    duration_s: float | None = None
    exit_code: int | None = None
    error: str | None = None
    failed_cell: int | None = None  # index of the failed cell in the archived notebook
    archive_sha256: str | None = None
    changes: list[str] = field(default_factory=list)
    opskit_version: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def row(self) -> dict[str, Any]:
        """The one-line view of ``opskit runbook runs``."""
        return {
            "run_id": self.run_id,
            "started_at": self.started_at,
            "runbook": self.runbook,
            "env": self.env,
            "mode": "apply" if self.apply else "dry run",
            "user": self.user,
            "outcome": self.outcome,
            "duration_s": self.duration_s,
            "archive": self.archive,
        }


def new_run_id(now: dt.datetime | None = None) -> str:
    """A sortable, unique run id: UTC time plus random hex (``20250101T120000Z-1a2b3c``)."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{secrets.token_hex(3)}"


class Archive(Protocol):
    """Where executed notebooks and run records go."""

    def location(self, run_id: str, runbook: str) -> str:
        """Where the run's notebook will be (a path or an s3:// URL)."""
        ...

    def put_record(self, record: RunRecord) -> None:
        """Write (or overwrite) the run's record."""
        ...

    def put_notebook(self, record: RunRecord, data: bytes) -> None:
        """Write the executed, redacted notebook to ``record.archive``."""
        ...

    def records(self) -> list[RunRecord]:
        """Every run record, oldest first."""
        ...


class LocalArchive:
    """Runs in a folder, readable only by the user."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def location(self, run_id: str, runbook: str) -> str:
        return str(self.root / run_id / f"{runbook}.ipynb")

    def put_record(self, record: RunRecord) -> None:
        self._write(self.root / record.run_id / RECORD, _dump(record))

    def put_notebook(self, record: RunRecord, data: bytes) -> None:
        self._write(Path(record.archive), data)

    def records(self) -> list[RunRecord]:
        if not self.root.is_dir():
            return []
        out = []
        for path in sorted(self.root.glob(f"*/{RECORD}")):
            try:
                out.append(RunRecord.from_json(json.loads(path.read_text())))
            except (OSError, ValueError, TypeError):
                continue
        return out

    def _write(self, path: Path, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)


class S3Archive:
    """Runs under an S3 prefix in the ops account (the client comes from ``Accounts``)."""

    def __init__(self, client: S3Client, bucket: str, prefix: str) -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix.strip("/")

    def _key(self, run_id: str, name: str) -> str:
        return "/".join(p for p in (self.prefix, run_id, name) if p)

    def location(self, run_id: str, runbook: str) -> str:
        return f"s3://{self.bucket}/{self._key(run_id, f'{runbook}.ipynb')}"

    def put_record(self, record: RunRecord) -> None:
        self._put(self._key(record.run_id, RECORD), _dump(record), "application/json")

    def put_notebook(self, record: RunRecord, data: bytes) -> None:
        key = record.archive.removeprefix(f"s3://{self.bucket}/")
        self._put(key, data, "application/x-ipynb+json")

    def records(self) -> list[RunRecord]:
        where = f"reading the run archive s3://{self.bucket}"
        prefix = f"{self.prefix}/" if self.prefix else ""
        listed = s3.list_objects(self.client, self.bucket, prefix, where)
        keys = [key for key, _ in listed if key.endswith(f"/{RECORD}")]
        return [
            RunRecord.from_json(json.loads(s3.get_object(self.client, self.bucket, key, where)))
            for key in sorted(keys)
        ]

    def _put(self, key: str, data: bytes, content_type: str) -> None:
        s3.put_object(self.client, self.bucket, key, data, content_type)


def open_archive(
    config: Config, state_dir: Path, s3_client: Callable[[], S3Client] | None = None
) -> Archive:
    """The archive ``[runbooks] archive`` names (default: ``<state dir>/runs``);
    ``s3_client`` makes the ops account's S3 client when the archive is in S3."""
    where = config.runbooks.archive
    if not where:
        return LocalArchive(state_dir / "runs")
    if where.startswith("s3://"):
        if s3_client is None:
            raise UsageError(f"runbooks.archive {where}: needs the ops account's S3 access")
        bucket, prefix = parse_s3_url(where)
        return S3Archive(s3_client(), bucket, prefix)
    path = Path(where).expanduser()
    return LocalArchive(path if path.is_absolute() else config.path.parent / path)


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix)."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise UsageError(f"runbooks.archive: {url!r} names no bucket")
    return bucket, prefix


def _dump(record: RunRecord) -> bytes:
    return (json.dumps(record.to_json(), indent=2, sort_keys=True, default=str) + "\n").encode()
