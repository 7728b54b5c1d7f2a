"""Monitors as code: the ``[datadog.monitors]`` policy expanded into concrete monitors.

One monitor per (environment, service, kind). Each carries an identity tag
``<identity_tag>:<env>.<service>.<kind>`` (how plan finds it again in Datadog, whatever its
name or id) plus ``managed-by:opskit``, ``env:`` and ``service:``. Its query's threshold is
the critical level, its options hold warning and critical, and its message notifies the
policy's targets per level with Datadog's ``{{#is_warning}}``/``{{#is_alert}}`` blocks.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from opskit.config.datadog_section import (
    BELOW_KINDS,
    KINDS,
    LB_KINDS,
    MonitorKind,
    MonitorPolicy,
    Thresholds,
)
from opskit.config.model import Config
from opskit.errors import ConfigError

MANAGED_TAG = "managed-by:opskit"

# kind -> (evaluation aggregator, metric expression with {scope}, what it means)
_KIND_QUERIES: dict[str, tuple[str, str, str]] = {
    "cpu": ("avg", "avg:aws.ecs.service.cpuutilization{{{scope}}}", "CPU utilization (%)"),
    "memory": (
        "avg",
        "avg:aws.ecs.service.memory_utilization{{{scope}}}",
        "memory utilization (%)",
    ),
    "running": (
        "max",
        "avg:aws.ecs.service.running{{{scope}}} / avg:aws.ecs.service.desired{{{scope}}} * 100",
        "running tasks as % of desired",
    ),
    "unhealthy_targets": (
        "max",
        "max:aws.applicationelb.un_healthy_host_count{{{scope}}}",
        "unhealthy load balancer targets",
    ),
    "http_5xx": (
        "sum",
        "sum:aws.applicationelb.httpcode_target_5xx{{{scope}}}.as_count() / "
        "sum:aws.applicationelb.request_count{{{scope}}}.as_count() * 100",
        "target 5xx responses (% of requests)",
    ),
}
_TITLES = {
    "cpu": "CPU high",
    "memory": "memory high",
    "running": "running below desired",
    "unhealthy_targets": "unhealthy targets",
    "http_5xx": "5xx rate high",
}
_ECS_SCOPE = "aws_account:{account},clustername:{cluster},servicename:{service}"
_LB_SCOPE = "aws_account:{account},service:{service}"


def fmt_number(value: float) -> str:
    """Numbers as Datadog shows them: ``85`` not ``85.0``, ``0.5`` not ``0.50``."""
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))  # the shortest text that reads back as the same number


class MonitorSpec(BaseModel):
    """One desired (or normalised live) monitor: only the fields opskit manages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity: str
    env: str
    service: str
    kind: str
    name: str
    type: str = "query alert"
    query: str
    message: str
    tags: tuple[str, ...]
    critical: float
    warning: float | None = None
    notify_no_data: bool = False
    include_tags: bool = True
    priority: int | None = None

    def body(self) -> dict[str, Any]:
        """The create/update body (plain JSON, the shape of Datadog's Monitor model)."""
        thresholds: dict[str, float] = {"critical": self.critical}
        if self.warning is not None:
            thresholds["warning"] = self.warning
        body: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "query": self.query,
            "message": self.message,
            "tags": list(self.tags),
            "options": {
                "thresholds": thresholds,
                "notify_no_data": self.notify_no_data,
                "include_tags": self.include_tags,
            },
        }
        if self.priority is not None:
            body["priority"] = self.priority
        return body


def _check_order(kind: str, t: Thresholds, where: str) -> None:
    if t.warning is None:
        return
    below = kind in BELOW_KINDS
    if (below and t.warning <= t.critical) or (not below and t.warning >= t.critical):
        relation = "above" if below else "below"
        raise ConfigError(
            f"[datadog.monitors] {where}: warning ({fmt_number(t.warning)}) must be {relation} "
            f"critical ({fmt_number(t.critical)}) for '{kind}' "
            f"(it alerts when the value is {'below' if below else 'above'} the threshold)"
        )


def _notify_lines(policy: MonitorPolicy, env: str, service: str) -> list[str]:
    targets = dict(policy.notify)
    targets.update(policy.notify_env.get(env, {}))
    override = policy.services.get(service)
    if override is not None and override.notify is not None:
        targets.update(override.notify)
    lines = []
    if targets.get("warning"):
        lines.append("{{#is_warning}}" + " ".join(targets["warning"]) + "{{/is_warning}}")
    if targets.get("critical"):
        lines.append("{{#is_alert}}" + " ".join(targets["critical"]) + "{{/is_alert}}")
    return lines


def _thresholds(policy: MonitorPolicy, kind: MonitorKind, env: str, service: str) -> Thresholds:
    override = policy.services.get(service)
    if override is not None and kind in override.thresholds:
        per_env = override.thresholds[kind]
        chosen = per_env.get(env) or per_env.get("default")
        if chosen is not None:
            _check_order(kind, chosen, f"services.{service}.thresholds.{kind}")
            return chosen
    found = policy.kinds[kind].thresholds_for(env)
    if found is None:
        raise ConfigError(
            f"[datadog.monitors.kinds.{kind}] has no thresholds for '{env}' and no 'default'"
        )
    _check_order(kind, found, f"kinds.{kind}.thresholds")
    return found


def expand(config: Config, envs: list[str] | None = None) -> list[MonitorSpec]:
    """Every monitor the policy asks for in ``envs`` (default: the policy's environments)."""
    policy = config.datadog.monitors
    if not policy.enabled:
        return []
    for name in [*policy.envs, *(envs or [])]:
        config.environment(name)  # unknown environment: a clear UsageError
    unknown = sorted(set(policy.services) - set(config.services))
    if unknown:
        raise ConfigError(f"[datadog.monitors.services] names unknown services: {unknown}")
    _check_env_names(policy, config)
    chosen = envs or policy.envs or config.env_names()
    out: list[MonitorSpec] = []
    for env in chosen:
        account = config.environment(env).account_id
        for service_name, service in sorted(config.services_in(env).items()):
            override = policy.services.get(service_name)
            skipped = set(override.skip) if override else set()
            for kind in KINDS:
                kind_policy = policy.kinds[kind]
                if not kind_policy.enabled or kind in skipped:
                    continue
                if kind in LB_KINDS and service.port is None:
                    continue  # no load balancer, no targets and no 5xx
                values = {
                    "env": env,
                    "service": service_name,
                    "account": account,
                    "cluster": config.cluster_name(service.cluster),
                }
                out.append(_spec(policy, kind, values))
    return out


def _check_env_names(policy: MonitorPolicy, config: Config) -> None:
    """Thresholds and notify targets may only name configured environments (or default)."""
    known = set(config.environments)
    named = [
        (f"kinds.{k}.thresholds", set(p.thresholds) - {"default"}) for k, p in policy.kinds.items()
    ]
    named += [
        (f"services.{s}.thresholds.{k}", set(per_env) - {"default"})
        for s, o in policy.services.items()
        for k, per_env in o.thresholds.items()
    ]
    named.append(("notify_env", set(policy.notify_env)))
    for where, names in named:
        if names - known:
            raise ConfigError(
                f"[datadog.monitors] {where} names unknown environment(s) "
                f"{sorted(names - known)} (known: {', '.join(config.env_names())})"
            )


def _spec(policy: MonitorPolicy, kind: MonitorKind, values: dict[str, str]) -> MonitorSpec:
    env, service = values["env"], values["service"]
    kind_policy = policy.kinds[kind]
    default_scope = _LB_SCOPE if kind in LB_KINDS else _ECS_SCOPE
    try:
        scope = (kind_policy.scope or default_scope).format(**values)
    except (KeyError, IndexError, ValueError) as error:
        raise ConfigError(
            f"[datadog.monitors.kinds.{kind}] scope: unknown placeholder {error}"
        ) from None
    thresholds = _thresholds(policy, kind, env, service)
    aggregator, metric, meaning = _KIND_QUERIES[kind]
    comparator = "<" if kind in BELOW_KINDS else ">"
    query = (
        f"{aggregator}(last_{kind_policy.window}):{metric.format(scope=scope)} "
        f"{comparator} {fmt_number(thresholds.critical)}"
    )
    identity = f"{env}.{service}.{kind}"
    message = "\n".join(
        [
            f"{service} in {env} (account {values['account']}): {meaning} is "
            f"{{{{value}}}}, threshold {{{{threshold}}}}.",
            *_notify_lines(policy, env, service),
            "Managed by opskit: change environments.toml and run `opskit monitors apply`.",
        ]
    )
    tags = (
        f"{policy.identity_tag}:{identity}",
        MANAGED_TAG,
        f"env:{env}",
        f"service:{service}",
        f"monitor-kind:{kind.replace('_', '-')}",
    )
    return MonitorSpec(
        identity=identity,
        env=env,
        service=service,
        kind=kind,
        name=f"{policy.name_prefix} {env} {service}: {_TITLES[kind]}".strip(),
        query=query,
        message=message,
        tags=tuple(sorted(tags)),
        critical=thresholds.critical,
        warning=thresholds.warning,
    )
