"""Repairing a journal whose last line was torn by a crash: seal it, don't stall on it.

A crash (power loss, a full disk, a killed process on a filesystem without atomic appends)
can leave the journal's last line cut short. The journal then refuses every append (it
never chains onto a record it cannot read), so every later change fails. ``repair``
removes only that torn last line, keeps its bytes in a side file
(``journal.jsonl.torn-<sha256 prefix>``), and appends, through the journal's own append,
a ``truncated`` record holding the torn bytes' SHA-256, length and offset, who repaired it
and when. The chain stays whole and verifiable and says what happened. A journal damaged
anywhere but its last line is evidence of tampering, not of a crash: it is left alone.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from opskit import __version__
from opskit.audit.journal import Journal, JournalError
from opskit.audit.records import utc_now
from opskit.audit.verify import verify

_LOCK_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Repair:
    """What ``repair`` did: nothing (``record`` None), or sealed a torn last line."""

    path: str
    torn_bytes: int = 0
    torn_sha256: str | None = None
    offset: int | None = None
    saved_to: str | None = None
    record: dict[str, Any] | None = field(default=None, repr=False)

    def __str__(self) -> str:
        if self.record is None:
            return f"{self.path}: nothing to repair (the last record is whole)"
        return (
            f"{self.path}: cut a torn last line ({self.torn_bytes} bytes at byte {self.offset}, "
            f"sha256 {self.torn_sha256}, kept in {self.saved_to}); sealed with record "
            f"{self.record['seq']} (truncated)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "repaired": self.record is not None,
            "torn_bytes": self.torn_bytes,
            "torn_sha256": self.torn_sha256,
            "offset": self.offset,
            "saved_to": self.saved_to,
            "seq": self.record["seq"] if self.record else None,
        }


def torn_tail(data: bytes) -> int | None:
    """Where the torn last line starts in ``data``, or None when the last line is whole.

    A line is torn when it lacks its newline or is not a JSON record with seq and hash.
    """
    if not data:
        return None
    if not data.endswith(b"\n"):
        return data.rfind(b"\n") + 1
    start = data.rfind(b"\n", 0, len(data) - 1) + 1
    try:
        record = json.loads(data[start:])
        if isinstance(record, dict) and "seq" in record and "hash" in record:
            return None
    except ValueError:
        pass
    return start


def repair(journal: Journal, front_end: str = "cli") -> Repair:
    """Seal ``journal`` if its last line is torn; JournalError if it is damaged elsewhere."""
    path = journal.path
    lock = FileLock(str(path.with_name(path.name + ".lock")))  # the journal's own lock file
    try:
        with lock.acquire(timeout=_LOCK_TIMEOUT_S):
            data = path.read_bytes() if path.exists() else b""
            cut = torn_tail(data)
            if cut is None:
                return Repair(str(path))
            good = _check_before(data[:cut], path)
            head = journal.head()
            torn = data[cut:]
            digest = hashlib.sha256(torn).hexdigest()
            saved = path.with_name(f"{path.name}.torn-{digest[:16]}")
            _write_private(saved, torn)
            with path.open("r+b") as handle:
                handle.truncate(cut)
                handle.flush()
                os.fsync(handle.fileno())
    except OSError as error:
        raise JournalError(f"cannot repair the audit journal {path}: {error}") from None
    sealing = _sealing_record(path, torn, digest, cut, saved, front_end)
    if head is not None and head[0] > good:  # the torn record had been written whole
        sealing["torn"]["head_before"] = {"seq": head[0], "hash": head[1]}
        sealing["detail"] += f"; record {head[0]} had been written whole, then damaged"
    record = journal.append(sealing)
    return Repair(str(path), len(torn), digest, cut, str(saved), record)


def _check_before(good: bytes, path: Path) -> int:
    """How many intact records precede the torn line; JournalError unless they chain."""
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / path.name
        copy.write_bytes(good)
        result = verify(Journal(copy))
    if not result.ok:
        raise JournalError(
            f"the audit journal {path} is damaged before its last line ({result.problem}); "
            "repair only seals a torn last line: see `opskit audit verify`"
        )
    return result.records


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _sealing_record(
    path: Path, torn: bytes, digest: str, offset: int, saved: Path, front_end: str
) -> dict[str, Any]:
    """The ``truncated`` record: what was cut, where it is kept, who cut it and when."""
    user = getpass.getuser()
    detail = (
        f"a torn last line ({len(torn)} bytes, sha256 {digest}) was cut from byte {offset} "
        f"and kept in {saved.name}"
    )
    return {
        "type": "truncated",
        "change_id": f"repair-{digest[:12]}",
        "change": "audit-repair",
        "summary": f"sealed a torn last record ({len(torn)} bytes)",
        "at": utc_now(),
        "who": {"user": user, "arn": "", "source_identity": None},
        "where": {"env": "", "journal": str(path)},
        "how": {
            "front_end": front_end,
            "opskit_version": __version__,
            "host": socket.gethostname(),
            "pid": os.getpid(),
        },
        "outcome": "truncated",
        "detail": detail,
        "torn": {"sha256": digest, "bytes": len(torn), "offset": offset, "kept_in": saved.name},
    }
