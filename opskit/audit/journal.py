"""The audit journal: append-only JSON lines chained by SHA-256, locked and fsync'd.

Each line is one record. ``seq`` counts records from 1; ``prev`` is the previous record's
``hash`` (64 zeros for the first); ``hash`` is the SHA-256 of the record's canonical JSON
without ``hash``. A record is written with one ``write`` on an ``O_APPEND`` descriptor under
an exclusive file lock and fsync'd before ``append`` returns, so concurrent processes never
interleave and a crash loses at most the record being written.

A side file (``journal.jsonl.head``) remembers the last record written (seq and hash):
without it, cutting records off the end would leave a chain that still verifies.

With a ``signer`` each record also carries ``key_id`` (hashed) and ``sig``, the signature of
its hash, so a chain recomputed by someone without the key fails verification. With a
``shipper`` (the team journal, ``team.py``) each record is first written to the team's
bucket; the local record then carries ``team`` (the team seq and hash) instead of a
signature, and is verified against the team's copy.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from filelock import FileLock

from opskit.audit.redact import Redactor
from opskit.errors import OpskitError

if TYPE_CHECKING:
    from opskit.audit.signing import Signer

GENESIS = "0" * 64
_LOCK_TIMEOUT_S = 30.0


class JournalError(OpskitError):
    """The journal cannot be written or read (damaged, locked too long, unwritable)."""


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes a record's hash covers (all but ``hash`` and ``sig``): sorted, compact UTF-8."""
    body = {k: v for k, v in record.items() if k not in ("hash", "sig")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def record_hash(record: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of a record's canonical JSON without its ``hash`` field."""
    return hashlib.sha256(canonical(record)).hexdigest()


def seal(record: dict[str, Any], signer: Signer | None) -> dict[str, Any]:
    """Add ``key_id`` (when signing), ``hash`` and ``sig`` to ``record``; return it."""
    if signer is not None:
        record["key_id"] = signer.key_id
    record["hash"] = record_hash(record)
    if signer is not None:
        record["sig"] = signer.sign(record["hash"].encode())
    return record


class Shipper(Protocol):
    """Where a record goes before it is written locally (the team journal)."""

    def ship(self, body: Mapping[str, Any], local_seq: int) -> dict[str, Any]:
        """Write ``body`` to the team journal; return its ``{"seq", "hash"}`` there."""
        ...


class Journal:
    """One journal file. Safe to append from many threads and processes at once."""

    def __init__(
        self,
        path: Path,
        redactor: Redactor | None = None,
        *,
        signer: Signer | None = None,
        shipper: Shipper | None = None,
    ) -> None:
        self.path = Path(path)
        self.signer = signer
        self.shipper = shipper
        self.head_path = self.path.with_name(self.path.name + ".head")
        self._lock = FileLock(str(self.path.with_name(self.path.name + ".lock")))
        self.redactor = redactor or Redactor()

    def append(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        """Redact ``entry``, chain it after the last record, write and fsync it; return it.

        Raises JournalError when the journal's last record is damaged (we never chain onto
        a record we cannot read) or the file cannot be written; with a shipper, whatever
        stops the team write (e.g. AwsError when the bucket is unreachable), and then
        nothing is written locally either.
        """
        body = self.redactor(dict(entry))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock.acquire(timeout=_LOCK_TIMEOUT_S):
                seq, prev = self._last()
                record = {"seq": seq + 1, "prev": prev, **body}
                if self.shipper is not None:
                    record["team"] = self.shipper.ship(body, seq + 1)
                    seal(record, None)
                else:
                    seal(record, self.signer)
                self._write(record)
                return record
        except OSError as error:
            raise JournalError(f"cannot write the audit journal {self.path}: {error}") from None

    def records(self) -> Iterator[dict[str, Any]]:
        """Every readable record, in file order (damaged lines are skipped: see verify)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as handle:
            for raw in handle:
                try:
                    record = json.loads(raw)
                except ValueError:
                    continue
                if isinstance(record, dict):
                    yield record

    def head(self) -> tuple[int, str] | None:
        """The (seq, hash) of the last record ever appended, from the side file."""
        try:
            data = json.loads(self.head_path.read_text())
            return int(data["seq"]), str(data["hash"])
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            return (-1, "")

    def _last(self) -> tuple[int, str]:
        """(seq, hash) of the last record in the file, or (0, GENESIS) when empty."""
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return 0, GENESIS
        if size == 0:
            return 0, GENESIS
        with self.path.open("rb") as handle:
            block = 4096
            tail = b""
            while True:
                start = max(0, size - len(tail) - block)
                handle.seek(start)
                tail = handle.read(size - start)
                if tail.count(b"\n") >= 2 or start == 0:
                    break
        lines = tail.split(b"\n")
        try:
            if lines[-1] != b"":
                raise ValueError("no newline")
            last = json.loads(lines[-2])
            return int(last["seq"]), str(last["hash"])
        except (ValueError, KeyError, TypeError, IndexError):
            raise JournalError(
                f"the audit journal {self.path} ends with a damaged record; "
                "run `opskit audit verify`, then `opskit audit repair`"
            ) from None

    def _write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode() + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            _fsync_dir(self.path.parent)
        tmp = self.head_path.with_name(self.head_path.name + ".tmp")
        tmp.write_text(json.dumps({"seq": record["seq"], "hash": record["hash"]}))
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.head_path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
