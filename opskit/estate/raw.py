"""A resource as AWS described it (what Describe* returned), for the dashboard's raw view.

Secrets never reach the screen: environment entries under a catalog secret name (or a
secret-looking one) show ``***``, and their values are replaced wherever else they appear
(``opskit.audit.Redactor``, the journal's redaction).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opskit.address import locate
from opskit.audit import Redactor
from opskit.aws.ecs import EcsReader
from opskit.config import Config

if TYPE_CHECKING:
    from opskit.accounts import Accounts


def describe_service(accounts: Accounts, config: Config, env: str, name: str) -> dict[str, Any]:
    """``{"service": DescribeServices' entry, "taskDefinition": DescribeTaskDefinition's}``,
    redacted; UsageError when the service is not in ``env``."""
    located = locate(config, lambda where: accounts.client(env, "ecs", region=where), env, name)
    region, service = located.region, located.raw
    ecs = EcsReader(accounts.client(env, "ecs", region=region), f"{env} ({region})")
    definition = ecs.describe_task_definition(str(service["taskDefinition"]))
    described: dict[str, Any] = redacted(config, {"service": service, "taskDefinition": definition})
    return described


def describe_task(accounts: Accounts, config: Config, env: str, cluster: str, task: str) -> Any:
    """DescribeTasks' entry for ``task`` (an id or ARN) in ``cluster``, redacted."""
    region = config.environment(env).region
    ecs = EcsReader(accounts.client(env, "ecs", region=region), f"{env} ({region})")
    found = ecs.describe_tasks(cluster, [task])
    return redacted(config, found[0] if found else {})


def redacted(config: Config, data: Any) -> Any:
    """``data`` with the catalog's secrets (by name, then by value) replaced by ``***``."""
    names = {secret for service in config.services.values() for secret in service.secrets}
    redactor = Redactor(names=names)
    redactor.add_values(_secret_values(data, redactor))
    return redactor(data)


def _secret_values(data: Any, redactor: Redactor) -> list[str]:
    """Values of ``{"name": SECRET, "value": …}`` entries anywhere in ``data``."""
    found: list[str] = []
    if isinstance(data, dict):
        name, value = data.get("name"), data.get("value")
        if isinstance(name, str) and isinstance(value, str) and redactor.is_secret_name(name):
            found.append(value)
        for inner in data.values():
            found += _secret_values(inner, redactor)
    elif isinstance(data, list | tuple):
        for inner in data:
            found += _secret_values(inner, redactor)
    return found
