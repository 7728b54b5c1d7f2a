"""Month-to-date spend per environment, kept on disk for the TUI.

Every report that covers the current month saves its month-to-date figures here. Reading
them (``month_to_date``) is a small JSON read: it never calls AWS and never imports pandas,
so a dashboard can show spend on every refresh. A cold or stale cache answers ``None``;
``opskit.costs.refresh_month_to_date`` builds a one-month report (for a background worker)
to warm it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opskit.costs.model import WorkspaceLike

FILE = "month_to_date.json"


def path_for(state_dir: Path) -> Path:
    return state_dir / "cache" / "costs" / FILE


def save(
    state_dir: Path, period: str, values: dict[str, float], source: str, order: Sequence[str]
) -> None:
    """Record this month's spend per environment (amortized, USD), atomically."""
    path = path_for(state_dir)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    ordered = {env: round(values[env], 2) for env in order if env in values}
    ordered.update({env: round(v, 2) for env, v in values.items() if env not in ordered})
    record = {"period": period, "source": source, "saved_at": time.time(), "amortized": ordered}
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(record), encoding="utf-8")
    os.replace(tmp, path)


def read(state_dir: Path, max_age_hours: float) -> dict[str, Any] | None:
    """The saved record if it is for this month and younger than ``max_age_hours``."""
    try:
        record = json.loads(path_for(state_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    today = dt.datetime.now(dt.UTC).date()
    if record.get("period") != f"{today.year:04d}-{today.month:02d}":
        return None
    if max_age_hours > 0 and time.time() - float(record.get("saved_at", 0)) > max_age_hours * 3600:
        return None
    return record if isinstance(record.get("amortized"), dict) else None


def month_to_date(workspace: WorkspaceLike) -> dict[str, float] | None:
    """Amortized spend this month per environment, from the cache only (None when cold)."""
    record = read(workspace.state_dir, workspace.config.costs.cache_hours)
    if record is None:
        return None
    return {str(env): float(value) for env, value in record["amortized"].items()}
