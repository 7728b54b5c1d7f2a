"""In-process access to moto's backends, for sandbox modules running inside the server.

Seeders, the simulator and override handlers share the server process with moto, so they
can read and change state moto does not expose over its API (e.g. a task's group). Only
code inside the sandbox server may call this: moto's state lives in that process.
"""

from __future__ import annotations

from typing import Any


def moto_backend(service: str, account_id: str, region: str) -> Any:
    """moto's backend object for ``service`` in one account and region.

    ``service`` is moto's backend name (``ecs``, ``elbv2``, ``ec2``, ``route53``, ``iam``,
    ``cloudwatch``, ``logs``, ``ce``, ``organizations`` …). Global services (IAM, Route53,
    Organizations, CE, S3) ignore the region and use their partition's backend.
    """
    from moto.backends import get_backend

    per_account = get_backend(service)[account_id]  # type: ignore[call-overload]
    if region not in per_account.regions:
        region = "aws"  # global services keep one backend per partition
    return per_account[region]
