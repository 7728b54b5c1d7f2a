"""Which estate to seed: the config's catalog ("normal") or the synthetic big one ("large")."""

from __future__ import annotations

from opskit.config import Config
from opskit.errors import ConfigError
from sandbox.seed.large import plan_large_estate
from sandbox.seed.plan import EnvPlan, plan_normal_estate
from sandbox.seed.shapes import add_shapes


def plan_estate(config: Config, scale: str = "normal") -> list[EnvPlan]:
    """One plan per environment, in display order, for ``scale`` "normal" or "large"."""
    if scale == "large":
        return plan_large_estate(config)
    if scale != "normal":
        raise ConfigError(f"{config.path}: [sandbox] scale '{scale}' is not normal or large")
    return add_shapes(config, plan_normal_estate(config))
