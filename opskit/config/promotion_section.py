"""``[promotion]`` and ``[changes.policy.ENV]``: how promotion is gated and what a change may touch.

``[promotion]``: ``soak_minutes.FROM.TO`` (how long the source must have been steady, with
no failed deployment and no monitor in alert, before its images may go to the target),
``default_soak_minutes`` for pairs not listed, and ``bake_seconds`` (how long a change is
watched by its service's monitors and alarms after it settles; 0 turns the gate off).

``[changes.policy.ENV]``: ``require_promotion`` (deploy refused: only ``promote`` may
change images there), ``max_services`` (services one change may touch) and
``max_replace_share`` (the largest share of a service's tasks a rollout may replace at
once, read from the service's deployment configuration).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

EnvName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Promotion(_Section):
    """Soak (before promoting) and bake (after any change) times."""

    soak_minutes: dict[EnvName, dict[EnvName, Annotated[int, Field(ge=0, le=100_000)]]] = Field(
        default_factory=dict
    )
    default_soak_minutes: Annotated[int, Field(ge=0, le=100_000)] = 60
    bake_seconds: Annotated[int, Field(ge=0, le=86_400)] = 0

    def soak_for(self, source: str, target: str) -> int:
        """Minutes ``source`` must have been steady before promoting to ``target``."""
        return self.soak_minutes.get(source, {}).get(target, self.default_soak_minutes)


class EnvPolicy(_Section):
    """What a change in one environment may do."""

    require_promotion: bool = False
    max_services: Annotated[int, Field(ge=1, le=1000)] | None = None
    max_replace_share: Annotated[float, Field(gt=0, le=1, strict=False)] | None = None
