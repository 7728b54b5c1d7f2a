"""A cross-process cache of temporary credentials, in one 0600 file per user.

Only temporary credentials (with an expiry) are stored: role sessions and the MFA session
token. Long-term keys never are. Entries are keyed by ops identity, environment and access
level; expired ones are ignored and pruned on write.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock


@dataclass(frozen=True)
class CachedCredentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: dt.datetime

    def remaining(self, now: dt.datetime | None = None) -> dt.timedelta:
        return self.expiration - (now or dt.datetime.now(dt.UTC))

    def as_metadata(self) -> dict[str, str]:
        """The shape botocore's RefreshableCredentials expects."""
        return {
            "access_key": self.access_key_id,
            "secret_key": self.secret_access_key,
            "token": self.session_token,
            "expiry_time": self.expiration.isoformat(),
        }


class CredentialCache:
    """Read and write the cache file under a lock; the file is always mode 0600."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(str(path) + ".lock", timeout=10)

    def get(self, key: str, min_remaining: dt.timedelta) -> CachedCredentials | None:
        entry = self._read().get(key)
        if not entry:
            return None
        creds = _decode(entry)
        return creds if creds and creds.remaining() > min_remaining else None

    def put(self, key: str, creds: CachedCredentials) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._lock:
            data = {
                k: v
                for k, v in self._read().items()
                if (c := _decode(v)) and c.remaining() > dt.timedelta(0)
            }
            data[key] = {
                "AccessKeyId": creds.access_key_id,
                "SecretAccessKey": creds.secret_access_key,
                "SessionToken": creds.session_token,
                "Expiration": creds.expiration.isoformat(),
            }
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(data, out)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)

    def entries(self) -> dict[str, dt.datetime]:
        """Live entries and when they expire (for `opskit whoami`)."""
        now = dt.datetime.now(dt.UTC)
        out = {}
        for key, entry in self._read().items():
            creds = _decode(entry)
            if creds and creds.expiration > now:
                out[key] = creds.expiration
        return out

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}


def _decode(entry: dict[str, str]) -> CachedCredentials | None:
    try:
        expiration = dt.datetime.fromisoformat(entry["Expiration"])
        if expiration.tzinfo is None:
            expiration = expiration.replace(tzinfo=dt.UTC)
        return CachedCredentials(
            entry["AccessKeyId"], entry["SecretAccessKey"], entry["SessionToken"], expiration
        )
    except (KeyError, TypeError, ValueError):
        return None
