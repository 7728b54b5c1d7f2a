"""Checks across sections: the things one field alone cannot know are wrong.

Each problem is a (key path, message) pair; the loader turns the first into one line
naming file, line and key.
"""

from __future__ import annotations

from collections.abc import Iterator

from opskit.config.model import Config

Problem = tuple[tuple[str, ...], str]


def _known(names: object) -> str:
    return ", ".join(sorted(str(n) for n in names))  # type: ignore[attr-defined]


def check_references(config: Config) -> list[Problem]:
    """Every cross-reference problem in ``config``, in file order as far as possible."""
    return [
        *_accounts(config),
        *_access(config),
        *_clusters(config),
        *_services(config),
        *_traffic(config),
        *_login(config),
        *_freeze(config),
        *_promotion(config),
        *config.costs.reference_problems(list(config.environments)),
    ]


def _accounts(config: Config) -> Iterator[Problem]:
    seen: dict[str, tuple[str, ...]] = {config.ops.account_id: ("ops", "account_id")}
    for name, env in config.environments.items():
        path = ("environments", name, "account_id")
        if env.account_id in seen:
            other = ".".join(seen[env.account_id])
            yield path, f"account id {env.account_id} is also used by {other}"
        else:
            seen[env.account_id] = path


def _access(config: Config) -> Iterator[Problem]:
    for required in ("read",):
        if required not in config.access:
            yield ("access",), f"access level '{required}' needs a role name"
    for name, env in config.environments.items():
        for level in env.roles:
            if level not in config.access:
                yield (
                    ("environments", name, "roles", level),
                    f"unknown access level '{level}' (known: {_known(config.access)})",
                )


def _clusters(config: Config) -> Iterator[Problem]:
    for name, cluster in config.clusters.items():
        for env in cluster.hosts:
            if env not in config.environments:
                yield (
                    ("clusters", name, "hosts", env),
                    f"unknown environment '{env}' (known: {_known(config.environments)})",
                )


def _services(config: Config) -> Iterator[Problem]:
    dns_names: dict[str, str] = {}
    for name, service in config.services.items():
        if service.cluster not in config.clusters:
            yield (
                ("services", name, "cluster"),
                f"unknown cluster '{service.cluster}' (known: {_known(config.clusters)})",
            )
        if service.health_check and service.port is None:
            yield ("services", name, "health_check"), "a health check needs a `port`"
        if service.dns and service.port is None:
            yield ("services", name, "dns"), "a DNS name needs a `port` to route to"
        if service.dns:
            if service.dns in dns_names:
                other = dns_names[service.dns]
                yield ("services", name, "dns"), f"DNS name '{service.dns}' is also used by {other}"
            dns_names[service.dns] = name
        overlap = set(service.env) & set(service.secrets)
        if overlap:
            yield (
                ("services", name, "secrets"),
                f"{_known(overlap)} is both a plain `env` value and a secret",
            )
        for env, size in service.size.items():
            path = ("services", name, "size", env)
            if env not in config.environments:
                yield path, f"unknown environment '{env}' (known: {_known(config.environments)})"
            if size.max is not None and size.min > size.max:
                yield path + ("min",), f"min {size.min} is above max {size.max}"
            elif not size.min <= size.desired <= size.upper:
                yield (
                    path + ("desired",),
                    (f"desired {size.desired} is outside min {size.min}..max {size.upper}"),
                )


def _traffic(config: Config) -> Iterator[Problem]:
    for name, shift in config.traffic.items():
        base = ("traffic", name)
        if shift.zone_env not in config.environments:
            yield (
                base + ("zone_env",),
                (f"unknown environment '{shift.zone_env}' (known: {_known(config.environments)})"),
            )
        if shift.service not in config.services:
            yield (
                base + ("service",),
                (f"unknown service '{shift.service}' (known: {_known(config.services)})"),
            )
        for label, env in shift.sets.items():
            if env not in config.environments:
                yield (
                    base + ("sets", label),
                    (f"unknown environment '{env}' (known: {_known(config.environments)})"),
                )
        for label in shift.weights:
            if label not in shift.sets:
                yield (
                    base + ("weights", label),
                    (f"unknown set '{label}' (known: {_known(shift.sets)})"),
                )
        if shift.steps != sorted(shift.steps):
            yield base + ("steps",), "steps must rise, e.g. [1, 5, 25, 50, 100]"


def _login(config: Config) -> Iterator[Problem]:
    ops = config.ops
    if ops.login in ("profile", "sso") and not ops.profile:
        yield ("ops", "login"), f'login = "{ops.login}" needs `profile` (a name in ~/.aws/config)'
    if ops.login == "sandbox" and not config.sandbox.enabled:
        yield ("ops", "login"), 'login = "sandbox" needs [sandbox] enabled = true'


def _freeze(config: Config) -> Iterator[Problem]:
    freeze = config.changes.freeze
    if freeze is not None and freeze.until < freeze.from_:
        yield (
            ("changes", "freeze", "until"),
            f"until {freeze.until} is before from {freeze.from_}: the freeze would never apply",
        )


def _promotion(config: Config) -> Iterator[Problem]:
    known = config.environments
    for env in config.changes.policy:
        if env not in known:
            path = ("changes", "policy", env)
            yield path, f"unknown environment '{env}' (known: {_known(known)})"
    for source, targets in config.promotion.soak_minutes.items():
        for env in (source, *targets):
            if env not in known:
                path = ("promotion", "soak_minutes", source)
                yield path, f"unknown environment '{env}' (known: {_known(known)})"
