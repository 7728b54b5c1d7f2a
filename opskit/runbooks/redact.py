"""Redacting an executed notebook before it is archived or its output shown.

Three nets, each catching what the others miss:

- by value: every secret value known to this process: environment variables with secret
  names (credentials, DD keys, a ``*_PASSWORD``), and the secret environment values of the
  task definitions of the services the run's environments run (read, never shown);
- by name in text: ``NAME=value``, ``"NAME": "value"``, ``NAME: value`` where NAME is
  declared secret in environments.toml or looks secret (PASSWORD, TOKEN, SECRET, …);
- by name in structure: ``{"name": NAME, "value": …}`` pairs and secret-named keys.

Images (``image/*`` outputs) are left as they are: they hold no text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from opskit.audit import REDACTED, Redactor
from opskit.config import Config
from opskit.errors import OpskitError

_NAMED = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<sep>[\"']?\s*[=:]\s*[\"']?)(?P<value>[^\s\"',;}<>)\]]+)"
)


def notebook_redactor(
    config: Config, environ: Mapping[str, str], values: Iterable[str] = ()
) -> Redactor:
    """A redactor knowing the catalog's secret names and every secret value given or in
    ``environ`` under a secret name."""
    names = {name for service in config.services.values() for name in service.secrets}
    redactor = Redactor(names=names)
    redactor.add_values(v for k, v in environ.items() if redactor.is_secret_name(k))
    redactor.add_values(values)
    return redactor


def redact_text(text: str, redactor: Redactor) -> str:
    """``text`` with known secret values and ``SECRET_NAME=value`` values replaced."""

    def named(match: re.Match[str]) -> str:
        if match["value"] == REDACTED or not redactor.is_secret_name(match["name"]):
            return match[0]
        return f"{match['name']}{match['sep']}{REDACTED}"

    return _NAMED.sub(named, redactor.text(text))


def redact_notebook(notebook: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    """A redacted copy of a notebook (nbformat JSON): sources, outputs, metadata."""
    return dict(_walk(notebook, redactor))


def _walk(data: Any, redactor: Redactor) -> Any:
    if isinstance(data, str):
        return redact_text(data, redactor)
    if isinstance(data, list):
        return [_walk(item, redactor) for item in data]
    if not isinstance(data, dict):
        return data
    name = data.get("name")
    pair = isinstance(name, str) and "value" in data and redactor.is_secret_name(name)
    out: dict[Any, Any] = {}
    for key, value in data.items():
        text_key = isinstance(key, str)
        if text_key and key.startswith("image/"):
            out[key] = value
        elif (pair and key == "value") or (
            text_key and isinstance(value, str) and redactor.is_secret_name(key)
        ):
            out[key] = REDACTED
        else:
            out[key] = _walk(value, redactor)
    return out


def task_definition_secrets(accounts: Any, config: Config, envs: Iterable[str]) -> set[str]:
    """Secret environment values in the running task definitions of ``envs``' catalog
    services that declare secrets (read with the read role; never displayed).

    A service or environment that cannot be read is skipped: the name nets still apply.
    """
    from opskit.aws.ecs import EcsReader

    redactor = notebook_redactor(config, {})
    jobs = [
        (env, config.cluster_name(cluster), names)
        for env in dict.fromkeys(envs)
        for cluster in sorted({s.cluster for s in config.services_in(env).values()})
        if (
            names := [
                n for n, s in config.services_in(env).items() if s.cluster == cluster and s.secrets
            ]
        )
    ]

    def read(job: tuple[str, str, list[str]]) -> set[str]:
        env, cluster, names = job
        found: set[str] = set()
        try:
            reader = EcsReader(accounts.client(env, "ecs"), env)
            for start in range(0, len(names), 10):
                for service in reader.describe_services(cluster, names[start : start + 10]):
                    td = reader.describe_task_definition(service["taskDefinition"])
                    for container in td.get("containerDefinitions", []):
                        for pair in container.get("environment", []):
                            if redactor.is_secret_name(str(pair.get("name", ""))):
                                found.add(str(pair.get("value", "")))
        except (OpskitError, KeyError):
            return found
        return found

    with ThreadPoolExecutor(max_workers=min(8, len(jobs) or 1)) as pool:
        return set().union(*pool.map(read, jobs)) if jobs else set()
