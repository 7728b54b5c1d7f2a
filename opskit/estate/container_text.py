"""One container's CPU and memory as text, the same in ``opskit show`` and the dashboard.

CPU as ``used/reserved`` CPU units (1024 = one vCPU), memory as ``used/reserved MiB``, each
with its share of the reservation: ``37.4/512 (7.3%)``, ``180.3/256 MiB (70.4%)``; ``-``
where Container Insights has no datapoint (a container under a minute old).
"""

from __future__ import annotations

from opskit.estate.model import ContainerUsage

NO_FIGURE = "-"


def cpu_text(usage: ContainerUsage | None) -> str:
    """``37.4/512 (7.3%)``: CPU units used of reserved."""
    if usage is None or usage.cpu_used is None:
        return NO_FIGURE
    return _text(usage.cpu_used, usage.cpu_reserved, usage.cpu_percent, "")


def memory_text(usage: ContainerUsage | None) -> str:
    """``180.3/256 MiB (70.4%)``: memory used of reserved."""
    if usage is None or usage.memory_used is None:
        return NO_FIGURE
    return _text(usage.memory_used, usage.memory_reserved, usage.memory_percent, " MiB")


def number(value: float) -> str:
    """One decimal, none when whole: ``37.4``, ``512``."""
    return f"{value:.1f}".removesuffix(".0")


def _text(used: float, reserved: float | None, percent: float | None, unit: str) -> str:
    if reserved is None:
        return f"{number(used)}{unit}"
    share = f" ({number(percent)}%)" if percent is not None else ""
    return f"{number(used)}/{number(reserved)}{unit}{share}"
