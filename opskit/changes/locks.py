"""Per-resource locks: one change per resource at a time, naming who holds it.

A lock is an exclusive ``flock`` on ``locks/<sha256 of the resource>.lock`` in the state
dir, taken without waiting. The holder's name, pid, host, change and start time sit in a
``.holder`` file beside it, so a refused change can say who is in the way. The kernel
drops a dead process's locks, so a crashed change never leaves a resource locked.

These are one machine's locks. With ``[audit] s3_bucket`` the engine uses team locks
instead (``leases.TeamLocks``: leases in the bucket); both fit ``Locks``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from opskit.audit import utc_now
from opskit.errors import RefusedError


class Locks(Protocol):
    """What the engine locks with: ``ResourceLocks`` (this machine) or ``TeamLocks``."""

    def hold(
        self, resources: Sequence[str], holder: str, change: str
    ) -> AbstractContextManager[None]: ...


class ResourceLocks:
    """The lock directory every front end on this machine shares."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @contextlib.contextmanager
    def hold(self, resources: Sequence[str], holder: str, change: str) -> Iterator[None]:
        """Lock every resource (in sorted order) for the duration of the block.

        Raises RefusedError naming the holder when any is locked; takes none then.
        """
        self.directory.mkdir(parents=True, exist_ok=True)
        held: list[FileLock] = []
        try:
            for resource in sorted(set(resources)):
                lock_path = self._path(resource)
                lock = FileLock(str(lock_path), timeout=0)
                try:
                    lock.acquire()
                except Timeout:
                    raise RefusedError(
                        f"{resource} is locked by {self._holder(lock_path)}; try again later"
                    ) from None
                held.append(lock)
                info = {
                    "user": holder,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "change": change,
                    "since": utc_now(),
                }
                lock_path.with_suffix(".holder").write_text(json.dumps(info))
            yield
        finally:
            for lock in reversed(held):
                lock.release()

    def _path(self, resource: str) -> Path:
        return self.directory / (hashlib.sha256(resource.encode()).hexdigest()[:32] + ".lock")

    @staticmethod
    def _holder(lock_path: Path) -> str:
        try:
            info = json.loads(lock_path.with_suffix(".holder").read_text())
            return (
                f"{info['user']} ({info['change']}, pid {info['pid']} on {info['host']}, "
                f"since {info['since']})"
            )
        except (OSError, ValueError, KeyError):
            return "another opskit process"
