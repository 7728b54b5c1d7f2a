"""The two doors the estate seeder and the simulator use into the sandbox server.

``client``: a boto3 client acting as administrator in an environment's account, over HTTP
(per-environment infrastructure is created through the API, like any AWS user would).
``backend``: moto's in-process backend, for bulk creation and for state moto never
changes by itself (tasks, deployments, target health).
"""

from __future__ import annotations

from typing import Any

from sandbox.plugins import SandboxContext

EstateContext = SandboxContext


def client(ctx: EstateContext, env: str, service: str, region: str | None = None) -> Any:
    """A boto3 client for ``service`` in ``env``'s account (and ``region``), as administrator."""
    return ctx.admin_client(env, service, region)


def backend(service: str, account_id: str, region: str) -> Any:
    """moto's in-process backend for ``service`` in one account and region."""
    from sandbox.aws.backends import moto_backend

    return moto_backend(service, account_id, region)
