"""How opskit finds the sandbox: an entry point, never an import.

The sandbox is its own package, installed by the extra ``opskit[sandbox]``. It registers
itself in the entry-point group ``opskit.sandbox`` (name ``sandbox``) with an object that
has the shape of ``SandboxPort``. Only the composition root and the ``opskit sandbox``
commands ask for it, through ``load_sandbox``; the library never knows it exists.
"""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from opskit.errors import UsageError

GROUP = "opskit.sandbox"
NAME = "sandbox"


class SandboxUserKeys(Protocol):
    """One sandbox user's long-term keys (the sandbox's IAM user in its ops account)."""

    name: str
    arn: str
    access_key_id: str
    secret_access_key: str


class SandboxInfoLike(Protocol):
    """What a running sandbox tells its clients (see ``sandbox.state.SandboxInfo``)."""

    pid: int
    endpoint_url: str
    datadog_url: str | None
    users: dict[str, Any]
    accounts: dict[str, str]
    scale: str
    time_factor: float
    moto_version: str
    config_path: str

    @property
    def datadog_keys(self) -> dict[str, str]: ...

    def public(self) -> dict[str, Any]: ...


class SandboxPort(Protocol):
    """The sandbox's process controls, as the composition root and CLI use them."""

    def ensure_running(
        self,
        config: Any,
        state_dir: Path,
        *,
        scale: str | None = None,
        time_factor: float | None = None,
    ) -> Any: ...

    def status(self, state_dir: Path) -> Any: ...

    def stop(self, state_dir: Path) -> bool: ...

    def reset(self, config: Any, state_dir: Path, **options: Any) -> Any: ...

    def read_state(self, state_dir: Path) -> Any: ...

    def set_fault(self, info: Any, **rule: Any) -> dict[str, Any]: ...

    def list_faults(self, info: Any) -> list[dict[str, Any]]: ...

    def clear_faults(self, info: Any, rule_id: str | None = None) -> int: ...


def load_sandbox() -> SandboxPort:
    """The installed sandbox, or a UsageError saying how to install it."""
    found = entry_points(group=GROUP, name=NAME)
    for entry in found:
        port: SandboxPort = entry.load()
        return port
    raise UsageError(
        "this config uses the sandbox, but it is not installed: "
        "pip install 'opskit[sandbox]' (or run `python3 dev.py tui`)"
    )
