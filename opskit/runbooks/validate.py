"""Validating a run before any kernel starts: names, types, required, allowed values, access.

``resolve`` is pure (config and spec only): it turns ``--env``, ``-p`` pairs, ``--apply`` and
``--confirm`` into a complete, typed parameter set, or raises one clear line (UsageError, or
the change guard's RefusedError: read-only, a freeze, a protected environment without its
name typed back). ``check_access`` then proves the user can assume every role the run
needs, by assuming it.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from opskit.config import Config
from opskit.errors import RefusedError, UsageError
from opskit.runbooks.schema import Param, RunbookSpec


class CredentialSource(Protocol):
    """What the access check needs of ``opskit.accounts.Accounts``."""

    def credentials(self, env: str, access: str = "read") -> Any:
        """Temporary credentials for ``env`` at ``access``; AuthError when denied."""
        ...


class RunRefused(RefusedError):
    """The change guard refused a run before its kernel started. ``plan`` stands for the
    run in the journal (env, account, access, redacted parameters), so the refusal is on
    the record like any other."""

    def __init__(self, message: str, plan: Any) -> None:
        super().__init__(message)
        self.plan = plan


@dataclass(frozen=True)
class RunRequest:
    """A validated run: every parameter typed and present, and the access it needs."""

    spec: RunbookSpec
    params: dict[str, Any]
    env: str | None
    apply: bool
    read_envs: tuple[str, ...]

    @property
    def access(self) -> str:
        """The access level the run acts with in ``env``."""
        return self.spec.access if self.apply else "read"

    def needs(self) -> list[tuple[str, str]]:
        """Every (environment, access level) the run must be able to assume."""
        pairs = [(env, "read") for env in self.read_envs]
        if self.apply and self.env and self.access != "read":
            pairs.append((self.env, self.access))
        return pairs


def resolve(
    spec: RunbookSpec,
    config: Config,
    given: Mapping[str, Any],
    *,
    env: str | None = None,
    apply: bool = False,
    confirm: str | None = None,
) -> RunRequest:
    """Check and complete the parameters; raise one line naming the first problem."""
    name = spec.name
    known = [p.name for p in spec.params]
    for key in given:
        if key not in known:
            guess = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean '{guess[0]}'?" if guess else f" (known: {', '.join(known)})"
            raise UsageError(f"{name}: unknown parameter '{key}'{hint}")
    if env is not None and spec.param("env") is None:
        raise UsageError(f"{name} takes no --env: it is not about one environment")
    if apply and not spec.changes:
        raise UsageError(f"{name} changes nothing: --apply does not apply to it")
    if confirm is not None and not spec.changes:
        raise UsageError(f"{name} changes nothing: --confirm does not apply to it")
    raw = dict(given)
    if env is not None:
        config.environment(env)
        raw["env"] = env
    if apply:
        raw["apply"] = True
    if confirm is not None and spec.param("confirm") is not None:
        raw["confirm"] = confirm
    params: dict[str, Any] = {}
    for param in spec.params:
        if param.name in raw:
            params[param.name] = param.convert(raw[param.name], name)
            _require_value(param, params[param.name], name)
        elif param.required:
            raise UsageError(_missing(param, name, config))
        else:
            params[param.name] = param.default
    chosen_env = params.get("env") if isinstance(params.get("env"), str) else None
    for param in spec.params:
        _check_allowed(param, params[param.name], config, chosen_env, name)
        param.check_bounds(params[param.name], name)
    check_catalog(params, config, chosen_env, name)
    doing = bool(params.get("apply", False))
    if doing and chosen_env:
        _guard(spec, config, chosen_env, confirm, params)
    read_envs = tuple(
        dict.fromkeys(
            v
            for p in spec.params
            if p.dynamic == "@envs"
            for v in (params[p.name] if isinstance(params[p.name], list) else [params[p.name]])
        )
    )
    return RunRequest(spec, params, chosen_env, doing, read_envs)


def check_catalog(params: Mapping[str, Any], config: Config, env: str | None, name: str) -> None:
    """What the change the run would make accepts, checked before a kernel starts: a
    count within the service's configured bounds in ``env``, an image reference, a rising
    ramp, finite numbers and a pause of at most an hour."""
    from opskit.changes import validate

    where = f"{name}: parameter"
    for key, value in params.items():
        if isinstance(value, float) and not math.isfinite(value):
            raise UsageError(f"{where} '{key}': {value} is not a finite number")
    service = params.get("service")
    count = params.get("count")
    if env and isinstance(service, str) and isinstance(count, int) and service in config.services:
        size = config.services[service].size.get(env)
        if size is not None and not size.min <= count <= size.upper:
            raise UsageError(
                f"{where} 'count': {count} is outside {service}'s bounds in {env} "
                f"({size.min}..{size.upper}, environments.toml)"
            )
    image = params.get("image")
    if isinstance(image, str) and image:
        try:
            validate.image_spec(image)
        except UsageError as error:
            raise UsageError(f"{where} 'image': {error}") from None
    steps = params.get("steps")
    if isinstance(steps, list) and steps:
        validate.ramp_steps(steps, f"{where} 'steps' {steps}")
    pause = params.get("pause_seconds")  # below 0: the config's pause (the notebook says)
    if isinstance(pause, float) and pause > validate.MAX_PAUSE_S:
        raise UsageError(f"{where} 'pause_seconds': {pause:g} is over an hour (3600)")


def stub_for(request: RunRequest, config: Config) -> Any:
    """The stub plan standing for an applying run in the journal (None for a dry run)."""
    from opskit.changes.attempts import stub_plan

    if not (request.apply and request.env):
        return None
    summary = f"runbook {request.spec.name} (apply) on {request.env}"
    access = cast("Any", request.access)
    return stub_plan("runbook", summary, request.env, config, access, request.params)


def check_access(accounts: CredentialSource, request: RunRequest) -> None:
    """Assume every role the run needs (AuthError names the first one denied)."""
    for env, access in request.needs():
        accounts.credentials(env, access)


def allowed_values(param: Param, config: Config, env: str | None) -> list[str]:
    """The values ``param`` accepts (a config set resolved, narrowed to ``env``)."""
    match param.dynamic:
        case "@envs":
            return config.env_names()
        case "@services":
            return sorted(config.services_in(env) if env else config.services)
        case "@clusters":
            return sorted(config.clusters)
        case "@traffic":
            return sorted(n for n, t in config.traffic.items() if env in (None, t.zone_env))
        case "@traffic_sets":
            shifts = [t for t in config.traffic.values() if env in (None, t.zone_env)]
            return sorted({label for t in shifts for label in t.sets})
        case "@access":
            return config.access_levels()
    return list(param.allowed)


def _check_allowed(param: Param, value: Any, config: Config, env: str | None, name: str) -> None:
    if not param.allowed:
        return
    allowed = allowed_values(param, config, env)
    if param.dynamic == "@envs":
        for item in value if isinstance(value, list) else [value]:
            if item not in allowed:
                known = ", ".join(allowed)
                raise UsageError(
                    f"{name}: parameter '{param.name}': unknown environment '{item}' "
                    f"(known: {known})"
                )
        return
    for item in value if isinstance(value, list) else [value]:
        if item in allowed or (param.dynamic == "@services" and _address(item, allowed)):
            continue
        narrowed = param.dynamic in ("@services", "@traffic", "@traffic_sets")
        scope = f" in {env}" if env and narrowed else ""
        choices = ", ".join(allowed) or "none"
        guess = difflib.get_close_matches(str(item), allowed, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        raise UsageError(
            f"{name}: parameter '{param.name}': {item!r} is not allowed{scope} "
            f"(allowed: {choices}){hint}"
        )


def _address(item: Any, catalog: list[str]) -> bool:
    """A service the catalog need not list: ``CLUSTER/SERVICE``, ``REGION:CLUSTER/SERVICE``,
    or any name where the catalog lists none (found live when the change is planned)."""
    from opskit.address import parse

    if not isinstance(item, str):
        return False
    try:
        address = parse(item)
    except UsageError:
        return False
    return address.cluster is not None or not catalog


def _guard(
    spec: RunbookSpec, config: Config, env: str, confirm: str | None, params: Mapping[str, Any]
) -> None:
    """The change engine's guard, before the kernel: read-only, freeze, a protected
    environment's name typed back (``--confirm``); the kernel's engine checks again.
    A refusal is ``RunRefused``, carrying the stub plan the front end journals."""
    from opskit.changes.attempts import stub_plan
    from opskit.changes.guard import guard
    from opskit.changes.plan import Access

    access = cast("Access", spec.access)
    summary = f"runbook {spec.name} (apply) on {env}"
    try:
        guard(stub_plan(spec.name, summary, env, config, access, {}), config, access=access,
              confirm=confirm)  # fmt: skip
    except RefusedError as refusal:
        stub = stub_plan("runbook", summary, env, config, access, params)
        raise RunRefused(str(refusal), stub) from None


def _require_value(param: Param, value: Any, name: str) -> None:
    if param.required and value in ("", []):
        raise UsageError(f"{name}: parameter '{param.name}' is required and cannot be empty")


def _missing(param: Param, name: str, config: Config) -> str:
    if param.name == "env":
        return f"{name} needs --env (one of {', '.join(config.env_names())})"
    about = f" ({param.help})" if param.help else ""
    return f"{name}: parameter '{param.name}' is required: pass -p {param.name}=…{about}"
