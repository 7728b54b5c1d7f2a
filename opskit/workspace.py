"""The composition root: config + login + accounts, as every front end needs them.

The CLI, the TUI and notebook kernels all start here. When the config enables the
sandbox, this is the one place that starts it (if needed) and takes its endpoint and a
sandbox user's keys as the login: the rest of opskit never knows it is not AWS.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from opskit.accounts import Accounts, Login
from opskit.config import Config, load_config
from opskit.errors import UsageError
from opskit.sandbox_port import SandboxPort, load_sandbox


def state_dir() -> Path:
    """Where opskit keeps its journal, caches, outbox and runbook runs."""
    named = os.environ.get("OPSKIT_STATE_DIR")
    if named:
        return Path(named).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("opskit"))


def cache_dir() -> Path:
    """The user's cache dir (credentials, cost data); inside the state dir when that is set."""
    if os.environ.get("OPSKIT_STATE_DIR"):
        return state_dir() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("opskit"))


@dataclass
class Workspace:
    """Everything a front end needs to act: the config, the accounts, where state lives."""

    config: Config
    accounts: Accounts
    state_dir: Path
    front_end: str = "cli"
    user: str | None = None

    @property
    def journal_path(self) -> Path:
        return journal_path(self.config, self.state_dir)


def journal_path(config: Config, state: Path) -> Path:
    """The audit journal: ``[audit] journal`` (relative to the config), else in ``state``."""
    named = config.audit.journal
    if named:
        path = Path(named).expanduser()
        return path if path.is_absolute() else config.path.parent / path
    return state / "journal.jsonl"


def open_workspace(
    config_path: str | os.PathLike[str] | None = None,
    *,
    user: str | None = None,
    front_end: str = "cli",
    mfa_prompt: Callable[[str], str] | None = None,
    config: Config | None = None,
) -> Workspace:
    """Load the config and build the accounts; start the sandbox if the config uses it."""
    config = config or load_config(config_path)
    base = state_dir()
    login = _login(config, base, user)
    if config.ops.login == "sandbox":
        config = _sandbox_datadog(config, base)
    accounts = Accounts(config, login, cache_dir=cache_dir(), mfa_prompt=mfa_prompt)
    return Workspace(config, accounts, base, front_end, user or login.label)


def sandbox_port() -> SandboxPort:
    """The installed sandbox (found by its entry point), for the composition root and CLI."""
    return load_sandbox()


def _sandbox_datadog(config: Config, base: Path) -> Config:
    """``[datadog]`` aimed at the sandbox's Datadog endpoint and keys (held in memory only)."""
    info = sandbox_port().read_state(base)
    if info is None or not info.datadog_url or "api_key" not in info.datadog_keys:
        return config
    keys = info.datadog_keys
    wired = config.datadog.with_endpoint(info.datadog_url, keys["api_key"], keys.get("app_key"))
    return config.model_copy(update={"datadog": wired})


def _login(config: Config, base: Path, user: str | None) -> Login:
    if config.ops.login != "sandbox":
        if user:
            raise UsageError("--user only selects a sandbox user; this config logs in to AWS")
        return Login.from_config(config)
    name = user or os.environ.get("OPSKIT_SANDBOX_USER") or config.sandbox.user
    info = sandbox_port().ensure_running(config, base)
    if name not in info.users:
        known = ", ".join(sorted(info.users))
        raise UsageError(f"unknown sandbox user '{name}' (known: {known})")
    keys = info.users[name]
    return Login(
        kind="static",
        access_key_id=keys.access_key_id,
        secret_access_key=keys.secret_access_key,
        endpoint_url=info.endpoint_url,
        label=f"sandbox user {name}",
    )
