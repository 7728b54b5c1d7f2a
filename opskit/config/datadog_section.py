"""The ``[datadog]`` section of environments.toml: where Datadog is, and the monitor policy.

Keys never live in this file: ``api_key``/``app_key`` are *references* (``env:NAME`` or
``file:PATH``), resolved by ``opskit.datadog.client`` when a client is built. The monitor
policy (``[datadog.monitors]``) says which monitors every service gets, with warning and
critical thresholds per environment and who is notified at each level; ``opskit.datadog.policy``
expands it into one monitor per service, environment and kind.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    StringConstraints,
    model_validator,
)

from opskit.config.urls import HttpUrl

KeyRef = Annotated[str, StringConstraints(pattern=r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:\S+)$")]
Handle = Annotated[str, StringConstraints(pattern=r"^@\S+$")]
TagValue = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_./-]*$")]

MonitorKind = Literal["cpu", "memory", "running", "unhealthy_targets", "http_5xx"]
KINDS: tuple[MonitorKind, ...] = ("cpu", "memory", "running", "unhealthy_targets", "http_5xx")
# Kinds whose alert fires when the value falls *below* the threshold.
BELOW_KINDS: frozenset[str] = frozenset({"running"})
# Kinds that only make sense for services behind a load balancer (a configured port).
LB_KINDS: frozenset[str] = frozenset({"unhealthy_targets", "http_5xx"})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Thresholds(_Section):
    """Warning and critical levels of one monitor (units depend on the kind)."""

    warning: float | None = None
    critical: float


class KindPolicy(_Section):
    """How one kind of monitor is built, for every service unless overridden."""

    enabled: bool = True
    # Thresholds per environment name; "default" applies to environments not listed.
    thresholds: dict[str, Thresholds] = Field(default_factory=dict)
    window: Annotated[str, StringConstraints(pattern=r"^\d+[mh]$")] = "10m"
    # Tag scope of the metric query; {env}, {service}, {cluster}, {account} are replaced.
    scope: str | None = None

    def thresholds_for(self, env: str) -> Thresholds | None:
        """The thresholds for ``env`` (its own, else ``default``), or None."""
        return self.thresholds.get(env) or self.thresholds.get("default")


class ServiceOverride(_Section):
    """Per-service changes to the defaults: kinds switched off, thresholds replaced."""

    skip: list[MonitorKind] = Field(default_factory=list)
    # kind -> env (or "default") -> thresholds
    thresholds: dict[MonitorKind, dict[str, Thresholds]] = Field(default_factory=dict)
    notify: dict[Literal["warning", "critical"], list[Handle]] | None = None


def _default_kinds() -> dict[MonitorKind, KindPolicy]:
    def t(warning: float, critical: float) -> Thresholds:
        return Thresholds(warning=warning, critical=critical)

    return {
        "cpu": KindPolicy(thresholds={"default": t(80, 90), "prod": t(70, 85)}),
        "memory": KindPolicy(thresholds={"default": t(85, 95), "prod": t(75, 90)}),
        # Running tasks as a percentage of desired: alert when below.
        "running": KindPolicy(thresholds={"default": t(100, 50), "prod": t(100, 75)}),
        "unhealthy_targets": KindPolicy(
            window="5m", thresholds={"default": t(1, 2), "prod": t(0, 1)}
        ),
        # Target 5xx responses as a percentage of requests.
        "http_5xx": KindPolicy(window="5m", thresholds={"default": t(5, 10), "prod": t(1, 5)}),
    }


class MonitorPolicy(_Section):
    """Monitors as code: defaults for every service, overrides, notify targets per level."""

    enabled: bool = True
    # Environments that get monitors (empty: every configured environment).
    envs: list[str] = Field(default_factory=list)
    # Identity tag key; each managed monitor carries "<tag>:<env>.<service>.<kind>".
    identity_tag: TagValue = "opskit-monitor"
    name_prefix: str = "[opskit]"
    notify: dict[Literal["warning", "critical"], list[Handle]] = Field(default_factory=dict)
    # Per-environment notify targets, replacing ``notify`` for that environment.
    notify_env: dict[str, dict[Literal["warning", "critical"], list[Handle]]] = Field(
        default_factory=dict
    )
    kinds: dict[MonitorKind, KindPolicy] = Field(default_factory=_default_kinds)
    services: dict[str, ServiceOverride] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _merge_defaults(self) -> MonitorPolicy:
        """A kind the file names keeps the defaults it does not change (thresholds per env
        are merged); kinds it does not name keep theirs entirely."""
        merged = dict(_default_kinds())
        for kind, given in self.kinds.items():
            base = merged[kind]
            changes = {name: getattr(given, name) for name in given.model_fields_set}
            changes["thresholds"] = {**base.thresholds, **given.thresholds}
            merged[kind] = base.model_copy(update=changes)
        object.__setattr__(self, "kinds", merged)
        return self


class DatadogSettings(_Section):
    """Where Datadog is and how opskit talks to it."""

    enabled: bool = False
    site: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+\.[a-z]+$")] = "datadoghq.com"
    # Any Datadog-compatible base URL (a proxy, the sandbox); empty means https://api.<site>.
    url: HttpUrl | None = None
    api_key: KeyRef = "env:DD_API_KEY"
    app_key: KeyRef = "env:DD_APP_KEY"
    timeout_seconds: Annotated[float, Field(gt=0, le=120)] = 10.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    # v2 change events (need the application key); "v1" posts classic events only.
    events_api: Literal["v2", "v1"] = "v2"
    monitors: MonitorPolicy = Field(default_factory=MonitorPolicy)

    # Keys handed over at run time (the sandbox's), never read from or written to the file.
    _given_keys: tuple[SecretStr, SecretStr | None] | None = PrivateAttr(default=None)

    @property
    def base_url(self) -> str:
        """The API base URL requests go to."""
        return self.url or f"https://api.{self.site}"

    @property
    def given_keys(self) -> tuple[SecretStr, SecretStr | None] | None:
        """Keys set with ``with_endpoint`` (they win over the key references)."""
        return self._given_keys

    def with_endpoint(self, url: str, api_key: str, app_key: str | None) -> DatadogSettings:
        """These settings aimed at ``url`` with the given keys, held in memory only.

        The composition root uses it for the sandbox's Datadog endpoint: the config file
        stays the same, only the endpoint and keys differ (as for AWS).
        """
        wired = self.model_copy(update={"url": url})
        wired._given_keys = (SecretStr(api_key), SecretStr(app_key) if app_key else None)
        return wired
