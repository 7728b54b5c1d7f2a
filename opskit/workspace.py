"""The composition root: config + login + accounts, as every front end needs them.

The CLI, the TUI and notebook kernels all start here. When the config enables the
sandbox, this is the one place that starts it (if needed) and takes its endpoint and a
sandbox user's keys as the login, and its clock: the rest of opskit never knows it is
not AWS. It also registers the optional features' notifiers and metric sources. Services
are handed the ``Workspace`` (``opskit.context``) this builds; they never import this.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from opskit.accounts import Accounts, Login
from opskit.config import Config, load_config
from opskit.context import (
    CapacityRates,
    Clock,
    Notifier,
    NotifierFactory,
    Progress,
    Workspace,
    journal_path,
)
from opskit.errors import UsageError
from opskit.paths import cache_dir, state_dir
from opskit.sandbox_port import SandboxInfoLike, SandboxPort, load_sandbox

__all__ = ["Workspace", "cache_dir", "journal_path", "open_workspace", "state_dir"]


def register_plugins() -> None:
    """Register the optional features' pieces with the services that use them, by name:
    ``[metrics] source = "datadog"``. Explicit, so every import is visible to the tools."""
    from opskit.estate.datadog_metrics import datadog_source
    from opskit.estate.metrics import register_source

    register_source("datadog", datadog_source)


def change_notifiers(config: Config, base: Path) -> NotifierFactory:
    """What every front end's engine tells about outcomes: Datadog, when it is enabled."""

    def build(progress: Progress | None) -> Sequence[Notifier]:
        if not config.datadog.enabled:
            return ()
        from opskit.changes.datadog_notifier import notifiers_for

        return notifiers_for(config, base, progress)

    return build


def capacity_rates(config: Config, accounts: Accounts, base: Path) -> CapacityRates:
    """What plans price capacity with: the bill's effective compute rates (costs side)."""
    from opskit.costs.rates import EffectiveRates

    return EffectiveRates(config, accounts, base)


def clock_for(config: Config) -> Clock:
    """The clock services wait by: the sandbox's runs ``[sandbox] time_factor`` times faster."""
    return Clock(factor=config.sandbox.time_factor if config.sandbox.enabled else 1.0)


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
    register_plugins()
    return Workspace(
        config,
        accounts,
        base,
        front_end,
        user or login.label,
        clock=clock_for(config),
        notifiers=change_notifiers(config, base),
        capacity_rates=capacity_rates(config, accounts, base),
    )


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
    return sandbox_user_login(sandbox_port().ensure_running(config, base), name)


def sandbox_user_login(info: SandboxInfoLike, name: str) -> Login:
    """The running sandbox's user ``name`` as the ops login; UsageError naming the known."""
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
