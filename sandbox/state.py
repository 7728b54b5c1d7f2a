"""The sandbox's state file: where a running sandbox is and who may use it.

The server writes ``<state dir>/sandbox/state.json`` (mode 0600, atomically) once it is
seeded and answering; clients read it into a ``SandboxInfo``. It holds the users' access
keys, so it is only ever readable by its owner, and ``SandboxInfo``'s repr hides secrets.
Cheap to import: no boto3, no moto.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_FILE = "state.json"
LOG_FILE = "server.log"
LOCK_FILE = "start.lock"


def sandbox_dir(state_dir: Path) -> Path:
    """``<state dir>/sandbox``, created with mode 0700 if missing."""
    folder = Path(state_dir) / "sandbox"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@dataclass(frozen=True)
class SandboxUser:
    """An IAM user of the sandbox's ops account, with its long-term access key."""

    name: str
    arn: str
    access_key_id: str
    secret_access_key: str = field(repr=False)
    mfa_serial: str | None = None


@dataclass(frozen=True)
class SandboxInfo:
    """A running sandbox: its process, endpoint, accounts and users.

    ``accounts`` maps "ops" and every environment name to its account id; ``roles`` maps
    ``env -> access level -> role ARN``; ``service_urls`` holds URLs that background
    services reported (the Datadog endpoint's is also in ``datadog_url``).
    """

    pid: int
    port: int
    endpoint_url: str
    started_at: str
    config_path: str
    state_dir: str
    region: str
    token: str = field(repr=False)
    accounts: dict[str, str] = field(default_factory=dict)
    roles: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, SandboxUser] = field(default_factory=dict)
    datadog_url: str | None = None
    # The Datadog endpoint's fixed keys ("api_key", "app_key"; see datadog_endpoint).
    datadog_keys: dict[str, str] = field(default_factory=dict, repr=False)
    service_urls: dict[str, str] = field(default_factory=dict)
    scale: str = "normal"
    time_factor: float = 20.0
    moto_version: str = ""

    def user(self, name: str) -> SandboxUser:
        """The named sandbox user (KeyError names the known ones)."""
        try:
            return self.users[name]
        except KeyError:
            raise KeyError(f"no sandbox user {name!r} (known: {', '.join(self.users)})") from None

    def uptime_seconds(self) -> float:
        started = datetime.fromisoformat(self.started_at)
        return max(0.0, (datetime.now(UTC) - started).total_seconds())

    def to_json(self) -> dict[str, Any]:
        """Everything, secrets included: only for the 0600 state file."""
        return asdict(self)

    def public(self) -> dict[str, Any]:
        """What may be shown on screen: no access keys, no instance token."""
        data = asdict(self)
        data.pop("token")
        data.pop("datadog_keys")
        for user in data["users"].values():
            user.pop("secret_access_key")
            user.pop("access_key_id")
        data["uptime_seconds"] = round(self.uptime_seconds(), 1)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SandboxInfo:
        """Read a state file, ignoring keys another opskit version may have added."""
        known = {f.name for f in dataclasses.fields(cls)}
        fields = {k: v for k, v in data.items() if k in known}
        user_keys = {f.name for f in dataclasses.fields(SandboxUser)}
        fields["users"] = {
            name: SandboxUser(**{k: v for k, v in user.items() if k in user_keys})
            for name, user in data.get("users", {}).items()
        }
        return cls(**fields)


def state_path(state_dir: Path) -> Path:
    """Where the state file is (nothing is created)."""
    return Path(state_dir) / "sandbox" / STATE_FILE


def read_state(state_dir: Path) -> SandboxInfo | None:
    """The recorded sandbox, or None when there is no (readable) state file."""
    path = state_path(state_dir)
    try:
        return SandboxInfo.from_json(json.loads(path.read_text()))
    except (FileNotFoundError, ValueError, TypeError, KeyError):
        return None


def write_state(state_dir: Path, info: SandboxInfo) -> Path:
    """Write the state file atomically with mode 0600."""
    path = sandbox_dir(state_dir) / STATE_FILE
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".state-", suffix=".json")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump(info.to_json(), out, indent=2)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return path


def remove_state(state_dir: Path, pid: int | None = None) -> None:
    """Remove the state file (only if it names ``pid``, when given)."""
    path = state_path(state_dir)
    if pid is not None:
        current = read_state(state_dir)
        if current is not None and current.pid != pid:
            return
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
