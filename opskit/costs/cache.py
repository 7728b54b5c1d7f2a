"""A small on-disk cache of JSON answers (Cost Explorer pages, Athena results), with an age.

Cost Explorer refreshes its data at most three times a day and charges per request, so its
answers are kept for ``[costs].cache_hours``. Entries are files named by a hash of the
request, written atomically, readable only by the user.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def cache_key(request: Any) -> str:
    """A stable name for a JSON-able request."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class DiskCache:
    """JSON values under ``folder``, valid for ``hours`` (0 disables the cache)."""

    def __init__(self, folder: Path, hours: float, clock: Callable[[], float] = time.time) -> None:
        self.folder, self.hours, self.clock = folder, hours, clock

    def get(self, request: Any, refresh: bool = False) -> Any | None:
        """The cached value, or None when absent, expired, unreadable or ``refresh``."""
        if refresh or self.hours <= 0:
            return None
        path = self.folder / f"{cache_key(request)}.json"
        try:
            if self.clock() - path.stat().st_mtime > self.hours * 3600:
                return None
            return json.loads(path.read_text(encoding="utf-8"))["value"]
        except (OSError, ValueError, KeyError):
            return None

    def put(self, request: Any, value: Any) -> None:
        if self.hours <= 0:
            return
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.folder / f"{cache_key(request)}.json"
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({"request": request, "value": value}, out, default=str)
        os.replace(tmp, path)
