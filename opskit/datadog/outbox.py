"""The outbox: change events that could not be posted wait here until a flush sends them.

One JSON file per event under ``<state dir>/outbox/datadog/``, named so that a plain sort
is the order they happened in, written atomically and readable only by the user. A flush
holds a file lock so two flushes never post the same event twice; it stops at the first
failure (Datadog is down or refusing), leaving the rest for next time.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout
from pydantic import ValidationError

from opskit.datadog.events import ChangeEvent
from opskit.errors import OpskitError

_LOCK_TIMEOUT_S = 10.0


@dataclass
class FlushReport:
    """What a flush did: events sent, still waiting, unreadable files set aside, last error."""

    sent: int = 0
    waiting: int = 0
    damaged: list[str] = field(default_factory=list)
    error: str | None = None


class Outbox:
    """The events waiting under one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / "outbox" / "datadog"
        self._lock = FileLock(str(self.path.parent / "datadog.lock"))

    def put(self, event: ChangeEvent) -> Path:
        """Store ``event`` durably; returns its file."""
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}.json"
        tmp = self.path / f".{name}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, event.model_dump_json().encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        final = self.path / name
        os.replace(tmp, final)
        return final

    def pending(self) -> list[Path]:
        """The waiting event files, oldest first."""
        if not self.path.is_dir():
            return []
        return sorted(p for p in self.path.glob("*.json") if not p.name.startswith("."))

    def flush(self, send: Callable[[ChangeEvent], object], limit: int | None = None) -> FlushReport:
        """Send waiting events in order with ``send``; each sent one is removed.

        Stops at the first opskit error (reported in ``error``). An unreadable file is moved
        aside to ``damaged/`` rather than blocking the queue forever.
        """
        report = FlushReport()
        try:
            with self._lock.acquire(timeout=_LOCK_TIMEOUT_S):
                files = self.pending()
                for index, path in enumerate(files):
                    if limit is not None and report.sent >= limit:
                        report.waiting = len(files) - index
                        break
                    try:
                        event = ChangeEvent.model_validate_json(path.read_bytes())
                    except FileNotFoundError:
                        continue
                    except (OSError, ValidationError):
                        report.damaged.append(self._set_aside(path))
                        continue
                    try:
                        send(event)
                    except OpskitError as error:
                        report.error = str(error)
                        report.waiting = len(files) - index
                        break
                    path.unlink(missing_ok=True)
                    report.sent += 1
        except Timeout:
            report.waiting = len(self.pending())
            report.error = f"another flush holds {self._lock.lock_file}"
        return report

    def _set_aside(self, path: Path) -> str:
        damaged = self.path / "damaged"
        damaged.mkdir(exist_ok=True, mode=0o700)
        target = damaged / path.name
        os.replace(path, target)
        return str(target)
