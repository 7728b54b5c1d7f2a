"""The ``[costs]`` section of environments.toml: where the bill is read and how it is split.

``source`` picks the backend (Cost Explorer, CUR 2.0 parquet, or Athena over the same CUR);
``[costs.athena]`` says where Athena runs; ``[costs.shared]`` says whether the ops account's
own (shared) cost stays on its own line or is allocated to the environments.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

S3Url = Annotated[str, StringConstraints(pattern=r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/\S*)?$")]
SqlName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
TagKey = Annotated[str, StringConstraints(pattern=r"^[\w.:/=+@-]{1,128}$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class AthenaSettings(_Section):
    """Where the CUR table lives in Athena and where query results go."""

    workgroup: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,128}$")] = "primary"
    # Empty: the workgroup's own result location is used.
    output_location: S3Url | None = None
    catalog: str = "AwsDataCatalog"
    database: SqlName = "cur"
    table: SqlName = "cur2"
    poll_seconds: Annotated[float, Field(gt=0, le=60)] = 0.5
    timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 600.0


class SharedCosts(_Section):
    """What happens to the ops account's cost: kept apart, or allocated to environments."""

    rule: Literal["none", "proportional", "fixed"] = "none"
    # rule = "fixed": relative weight per environment (normalised, e.g. 1/2/7 or 10/20/70).
    shares: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shares_match_rule(self) -> SharedCosts:
        if self.rule == "fixed" and not self.shares:
            raise ValueError('rule "fixed" needs shares, e.g. { dev = 1, prod = 3 }')
        if self.rule != "fixed" and self.shares:
            raise ValueError(f'shares only apply with rule = "fixed" (rule is "{self.rule}")')
        return self


class CostsSettings(_Section):
    """How `opskit costs` reads the consolidated bill."""

    source: Literal["ce", "cur", "athena"] = "ce"
    # A local folder or an s3:// prefix of the CUR 2.0 export (…/data/BILLING_PERIOD=…/).
    cur_path: str | None = None
    # Cost Explorer answers and Athena results are cached this long (CE refreshes ≤ 3×/day).
    cache_hours: Annotated[float, Field(ge=0, le=168)] = 6.0
    # The tag whose absence makes a line "untagged" in the untagged-share figures.
    untagged_tag: TagKey = "team"
    athena: AthenaSettings = Field(default_factory=AthenaSettings)
    shared: SharedCosts = Field(default_factory=SharedCosts)

    @model_validator(mode="after")
    def _cur_path_for_cur(self) -> CostsSettings:
        if self.source == "cur" and not self.cur_path:
            raise ValueError('source "cur" needs cur_path (a folder or an s3:// prefix)')
        return self

    def reference_problems(self, env_names: list[str]) -> list[tuple[tuple[str, ...], str]]:
        """Problems only the whole config can see: shares for unknown environments."""
        known = ", ".join(sorted(env_names))
        return [
            (("costs", "shared", "shares", name), f"unknown environment '{name}' (known: {known})")
            for name in self.shared.shares
            if name not in env_names
        ]
