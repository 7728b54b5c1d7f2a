"""The typed model of environments.toml.

Every section is a frozen pydantic model that forbids unknown keys, so a typo is an error
with a did-you-mean rather than a silently ignored setting. Cross-references (a service in
an unknown cluster, a size for an unknown environment…) are checked in ``references.py``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, StringConstraints

from opskit.config.costs_section import CostsSettings
from opskit.config.datadog_section import DatadogSettings
from opskit.config.promotion_section import EnvPolicy, Promotion
from opskit.config.runbooks_section import RunbooksSettings
from opskit.config.urls import HttpUrl
from opskit.errors import UsageError
from opskit.suggest import unknown

AccountId = Annotated[str, StringConstraints(pattern=r"^\d{12}$")]
Region = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")]
Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")]
RoleName = Annotated[str, StringConstraints(pattern=r"^[\w+=,.@-]{1,64}$")]
BucketName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]

COLOURS = (
    "red", "green", "yellow", "blue", "magenta", "cyan", "white", "orange", "purple", "grey",
)  # fmt: skip


class Section(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable, and types are
    strict (``"yes"`` is not a boolean and ``"9000"`` not a port: TOML has real ones)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Ops(Section):
    """The ops account people log in to; every environment is entered from it."""

    name: Name = "ops"
    account_id: AccountId
    region: Region
    login: Literal["profile", "sso", "environment", "sandbox"] = "profile"
    profile: str | None = None
    mfa_serial: (
        Annotated[str, StringConstraints(pattern=r"^arn:aws[\w-]*:iam::\d{12}:mfa/.+$")] | None
    ) = None
    endpoint_url: HttpUrl | None = None
    session_hours: Annotated[int, Field(ge=1, le=36)] = 12


class Environment(Section):
    """One AWS account that runs one environment."""

    account_id: AccountId
    regions: Annotated[list[Region], Field(min_length=1)]
    protected: bool = False
    colour: Literal[COLOURS] = "white"  # type: ignore[valid-type]
    order: int = 0
    roles: dict[str, RoleName] = Field(default_factory=dict)
    endpoint_url: HttpUrl | None = None
    description: str = ""

    @property
    def region(self) -> str:
        """The primary region (the first listed)."""
        return self.regions[0]


class Hosts(Section):
    count: Annotated[int, Field(ge=0, le=1000)]
    instance_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]


class Cluster(Section):
    """An ECS cluster, present in every environment, grouped by concern."""

    concern: Name
    description: str = ""
    name: Name | None = None
    hosts: dict[str, Hosts] = Field(default_factory=dict)


class Size(Section):
    """How big a service is in one environment, and the bounds `scale` accepts."""

    desired: Annotated[int, Field(ge=0, le=5000)]
    cpu: Annotated[int, Field(ge=128, le=16384)] = 256
    memory: Annotated[int, Field(ge=128, le=122880)] = 512
    min: Annotated[int, Field(ge=0)] = 0
    max: Annotated[int, Field(ge=0, le=5000)] | None = None

    @property
    def upper(self) -> int:
        """The largest desired count allowed (default: 4× the configured one, at least 10)."""
        return self.max if self.max is not None else max(10, 4 * self.desired)


class Service(Section):
    """A service of the catalog: the same definition in every environment but its size."""

    cluster: Name
    image: Annotated[str, StringConstraints(pattern=r"^[^\s:]+(:\d+)?[^\s:]*:[\w][\w.-]{0,127}$")]
    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    health_check: Annotated[str, StringConstraints(pattern=r"^/\S*$")] | None = None
    dns: Annotated[str, StringConstraints(pattern=r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")] | None = None
    env: dict[str, str] = Field(default_factory=dict)
    secrets: list[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]] = Field(
        default_factory=list
    )
    size: dict[str, Size] = Field(default_factory=dict)

    @property
    def tag(self) -> str:
        return self.image.rsplit(":", 1)[1]

    @property
    def repository(self) -> str:
        return self.image.rsplit(":", 1)[0]


class Dns(Section):
    zone: str = "{env}.internal"

    def zone_for(self, env: str) -> str:
        return self.zone.format(env=env)


class TrafficShift(Section):
    """A weighted DNS record whose traffic `opskit dns shift` moves between environments."""

    zone_env: Name
    record: Annotated[str, StringConstraints(pattern=r"^[a-z0-9.-]+$")]
    service: Name
    sets: Annotated[dict[str, Name], Field(min_length=2)]
    weights: dict[str, Annotated[int, Field(ge=0, le=255)]] = Field(default_factory=dict)
    steps: list[Annotated[int, Field(ge=0, le=100)]] = Field(
        default_factory=lambda: [1, 5, 25, 50, 100]
    )
    pause_seconds: Annotated[float, Field(ge=0)] = 60.0


KmsKeyId = Annotated[
    str,
    StringConstraints(
        pattern=r"^(alias/[A-Za-z0-9/_-]{1,250}|[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"
        r"|mrk-[0-9a-f]{32}|arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key/[\w-]+|alias/[A-Za-z0-9/_-]+))$"
    ),
]


class Audit(Section):
    """The journal: local path, and optionally the team's S3 bucket and KMS signing key."""

    journal: str | None = None
    s3_bucket: BucketName | None = None
    prefix: Annotated[str, StringConstraints(pattern=r"^([A-Za-z0-9!_.*'()-]+/)*$")] = "opskit/"
    retention_days: Annotated[int, Field(ge=1, le=36500)] = 365
    # A KMS HMAC key (HMAC_256, GENERATE_VERIFY_MAC) that signs saved plans and records.
    kms_key_id: KmsKeyId | None = None
    lease_seconds: Annotated[int, Field(ge=10, le=3600)] = 120


class Freeze(Section):
    """No changes from ``from`` to ``until`` (inclusive); dates may be TOML dates or ISO text."""

    from_: dt.date = Field(alias="from", strict=False)
    until: dt.date = Field(strict=False)
    reason: str = "change freeze"


class Changes(Section):
    read_only: bool = False
    freeze: Freeze | None = None
    deploy_timeout_seconds: Annotated[int, Field(ge=10, le=7200)] = 900
    policy: dict[Name, EnvPolicy] = Field(default_factory=dict)


class Metrics(Section):
    source: Literal["cloudwatch", "datadog"] = "cloudwatch"
    period_seconds: Annotated[int, Field(ge=10, le=3600)] = 60


class Tui(Section):
    refresh_seconds: Annotated[float, Field(ge=1, le=3600)] = 5.0
    theme: str = "textual-dark"


class Sandbox(Section):
    enabled: bool = False
    user: Literal["alice", "bob"] = "alice"
    time_factor: Annotated[float, Field(ge=1, le=1000)] = 20.0
    scale: Literal["normal", "large"] = "normal"


class Config(Section):
    """The whole of environments.toml."""

    ops: Ops
    access: Annotated[dict[Name, RoleName], Field(min_length=1)]
    environments: Annotated[dict[Name, Environment], Field(min_length=1)]
    clusters: dict[Name, Cluster] = Field(default_factory=dict)
    services: dict[Name, Service] = Field(default_factory=dict)
    dns: Dns = Field(default_factory=Dns)
    traffic: dict[Name, TrafficShift] = Field(default_factory=dict)
    audit: Audit = Field(default_factory=Audit)
    changes: Changes = Field(default_factory=Changes)
    metrics: Metrics = Field(default_factory=Metrics)
    costs: CostsSettings = Field(default_factory=CostsSettings)
    datadog: DatadogSettings = Field(default_factory=DatadogSettings)
    tui: Tui = Field(default_factory=Tui)
    runbooks: RunbooksSettings = Field(default_factory=RunbooksSettings)
    sandbox: Sandbox = Field(default_factory=Sandbox)
    promotion: Promotion = Field(default_factory=Promotion)

    _path: Path = PrivateAttr(default=Path("environments.toml"))

    @property
    def path(self) -> Path:
        """The file this config was read from."""
        return self._path

    def env_names(self) -> list[str]:
        """Environment names in display order (``order``, then name)."""
        return sorted(self.environments, key=lambda n: (self.environments[n].order, n))

    def environment(self, name: str) -> Environment:
        """The named environment, or a UsageError naming the known ones."""
        try:
            return self.environments[name]
        except KeyError:
            raise UsageError(unknown("environment", name, self.env_names())) from None

    def service(self, name: str) -> Service:
        try:
            return self.services[name]
        except KeyError:
            raise UsageError(unknown("service", name, sorted(self.services))) from None

    def access_levels(self) -> list[str]:
        return list(self.access)

    def role_name(self, env: str, access: str) -> str:
        """The role that grants ``access`` in ``env`` (per-environment override first)."""
        if access not in self.access:
            known = ", ".join(self.access)
            raise UsageError(f"unknown access level '{access}' (known: {known})")
        return self.environment(env).roles.get(access, self.access[access])

    def role_arn(self, env: str, access: str) -> str:
        return f"arn:aws:iam::{self.environment(env).account_id}:role/{self.role_name(env, access)}"

    def env_for_account(self, account_id: str) -> str | None:
        """The environment whose account this is ("ops" for the ops account), else None."""
        if account_id == self.ops.account_id:
            return self.ops.name
        for name, env in self.environments.items():
            if env.account_id == account_id:
                return name
        return None

    def cluster_name(self, cluster: str) -> str:
        """The AWS name of a configured cluster."""
        return self.clusters[cluster].name or cluster

    def services_in(self, env: str) -> dict[str, Service]:
        """The catalog's services that run in ``env`` (those with a size for it)."""
        return {n: s for n, s in self.services.items() if env in s.size}

    def endpoint_for(self, env: str | None) -> str | None:
        """The AWS-compatible endpoint for an environment (or the ops account), if any."""
        if env is not None and env in self.environments:
            return self.environments[env].endpoint_url or self.ops.endpoint_url
        return self.ops.endpoint_url
