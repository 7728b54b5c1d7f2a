"""Helpers the cost tests import by name (conftest.py is not importable across folders)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
TODAY = dt.date(2025, 11, 26)


@dataclass
class LocalWorkspace:
    """What ``build_report`` needs: config, accounts (none here), state dir."""

    config: Any
    accounts: Any
    state_dir: Path


class NoAws:
    """Accounts that refuse to make clients: a local CUR report must never need one."""

    def ops_client(self, service: str, region: str | None = None) -> Any:
        raise AssertionError(f"a local report asked for an AWS client ({service})")


def with_costs(config: Any, **changes: Any) -> Any:
    """``config`` with ``[costs]`` settings changed (nested ``athena``/``shared`` as dicts)."""
    from opskit.config.costs_section import CostsSettings

    data = config.costs.model_dump()
    for key, value in changes.items():
        if isinstance(value, dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    updated = config.model_copy(update={"costs": CostsSettings.model_validate(data)})
    updated._path = config.path
    return updated
