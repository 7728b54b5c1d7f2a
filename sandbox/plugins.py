"""Plugins of the sandbox server: overrides, seeders and background services.

The server imports each module by name (importlib); a module that does not exist yet, or
lacks its entry point, is skipped with a log line, so the sandbox runs while its parts are
written in parallel. A module that fails to import or run stops the server: a half-seeded
estate is worse than a clear error in server.log.

Order at start: OVERRIDE_MODULES are imported (they register ``@override`` handlers); the
Organization, roles and users are seeded; each SEEDER runs as ``seed(ctx) -> None`` while
IAM enforcement is still off; enforcement is switched on; each SERVICE starts as
``start(ctx) -> handle``, where ``handle.stop()`` is called at shutdown and an optional
``handle.url`` (str) is recorded in the state file (the Datadog endpoint's as
``datadog_url``). Services run in their own threads and watch ``ctx.stop_event``.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from opskit.config import Config

log = logging.getLogger(__name__)

OVERRIDE_MODULES = (
    "sandbox.aws.sessions",
    "sandbox.aws.rules_iam",
    "sandbox.aws.rules_ecs",
    "sandbox.aws.rules_elbv2",
    "sandbox.aws.rules_route53",
    "sandbox.billing.cost_explorer",
)
SEEDERS = (
    "sandbox.seed.estate:seed_estate",
    "sandbox.billing.costdata:seed_costs",
    "sandbox.seed.audit_key:seed_audit_key",
    "sandbox.seed.audit_bucket:seed_audit_bucket",
)
SERVICES = (
    "sandbox.simulator.loop:start_simulator",
    "sandbox.datadog.endpoint:start_datadog",
)


class ServiceHandle(Protocol):
    """What a background service's ``start`` returns."""

    def stop(self) -> None: ...


@dataclass
class SandboxContext:
    """What every seeder and background service receives.

    - ``config``: the validated environments.toml (``opskit.config.Config``).
    - ``region``: the ops account's region; ``ops_account_id``; ``accounts``: environment
      name -> account id (environments only; ``account_id("ops")`` for the ops account).
    - ``endpoint_url``: the sandbox's HTTP endpoint (moto behind the rules layer).
    - ``scale``: "normal" or "large" (large: 3 clusters x 100 services per environment).
    - ``time_factor``: sandbox time runs this much faster.
    - ``state_dir``: the opskit state directory (the sandbox's files are in ``sandbox/``).
    - ``stop_event``: set when the server shuts down; services' threads should end then.
    - ``admin_client(account, service)``: a boto3 client acting as an administrator in
      that account (env name, "ops" or account id) over HTTP; works before and after IAM
      enforcement is on, and is never subject to fault rules.
    - ``backend(service, account)``: moto's backend object in-process (see backends.py).
    """

    config: Config
    config_path: Path
    region: str
    ops_account_id: str
    accounts: dict[str, str]
    endpoint_url: str
    scale: str
    time_factor: float
    state_dir: Path
    stop_event: threading.Event = field(default_factory=threading.Event)
    admin_keys: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def account_id(self, account: str) -> str:
        """The account id for an environment name, "ops", or an account id."""
        if account in (self.config.ops.name, "ops"):
            return self.ops_account_id
        if account in self.accounts:
            return self.accounts[account]
        if account.isdigit() and len(account) == 12:
            return account
        raise KeyError(f"unknown sandbox account {account!r}")

    def all_account_ids(self) -> list[str]:
        return [self.ops_account_id, *self.accounts.values()]

    def admin_client(self, account: str, service: str, region: str | None = None) -> Any:
        """A cached boto3 client, as the account's sandbox administrator."""
        account_id = self.account_id(account)
        key = (account_id, service, region or self.region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                from botocore.config import Config as BotoConfig

                from sandbox.aws.shared_models import boto_session

                key_id, secret = self.admin_keys[account_id]
                session: Any = boto_session()  # any service name
                client = session.client(
                    service,
                    region_name=key[2],
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id=key_id,
                    aws_secret_access_key=secret,
                    config=BotoConfig(retries={"mode": "standard", "max_attempts": 3}),
                )
                self._clients[key] = client
        return client

    def backend(self, service: str, account: str, region: str | None = None) -> Any:
        from sandbox.aws.backends import moto_backend

        return moto_backend(service, self.account_id(account), region or self.region)


def load(spec: str) -> Callable[..., Any] | None:
    """Import ``module:function``; None (logged) if the module does not exist yet."""
    module_name, _, attribute = spec.partition(":")
    module = import_optional(module_name)
    if module is None:
        return None
    entry: Callable[..., Any] | None = getattr(module, attribute, None)
    if entry is None:
        log.warning("plugin %s has no %s yet: skipped", module_name, attribute)
    return entry


def import_optional(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name != module_name:
            raise
        log.info("plugin %s is not present: skipped", module_name)
        return None
