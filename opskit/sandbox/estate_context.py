"""What the estate seeder and the simulator need from the sandbox server's context.

The server builds one SandboxContext; these helpers are the only places that reach into
it, so the seeding and simulator modules depend on a few names, not on its whole shape.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from opskit.config import Config


class EstateContext(Protocol):
    """The part of the server's SandboxContext the estate and the simulator use."""

    config: Config
    scale: str
    time_factor: float
    stop_event: threading.Event

    def admin_client(self, env: str, service: str) -> Any:
        """A boto3 client acting as administrator in ``env``'s account (before IAM is on)."""
        ...


def client(ctx: EstateContext, env: str, service: str) -> Any:
    """A boto3 client for ``service`` in ``env``'s account, as administrator."""
    return ctx.admin_client(env, service)


def backend(service: str, account_id: str, region: str) -> Any:
    """moto's in-process backend for ``service`` in one account and region."""
    from opskit.sandbox.backends import moto_backend

    return moto_backend(service, account_id, region)
