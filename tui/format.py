"""Pure text helpers for the dashboard: ages, percentages, sparklines, health cells.

No Textual here: these take model values and return strings or Rich ``Text``, so they are
unit-tested on their own and shared by every widget.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from rich.text import Text

from opskit.estate import HealthSummary, ServiceState

BARS = "▁▂▃▄▅▆▇█"


def ago(then: dt.datetime | None, now: dt.datetime) -> str:
    """``12s``, ``3m``, ``2h``, ``4d`` since ``then`` (``-`` when unknown)."""
    if then is None:
        return "-"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def pct(value: float | None) -> str:
    """``42%`` (``-`` when unknown)."""
    return "-" if value is None else f"{value:.0f}%"


def used_pct(registered: int, remaining: int) -> float | None:
    """Reserved share of a capacity, in percent (None when nothing is registered)."""
    if registered <= 0:
        return None
    return 100.0 * (registered - remaining) / registered


def level(value: float | None) -> str:
    """The Rich style for a utilization percentage: green, yellow, red (dim when unknown)."""
    if value is None:
        return "dim"
    if value >= 85:
        return "bold red"
    if value >= 65:
        return "yellow"
    return "green"


def heat(value: float | None) -> str:
    """A colour on a green -> yellow -> red scale for a CPU percentage (host map tiles)."""
    if value is None:
        return "grey42"
    stops = ((20, "#1a9850"), (40, "#66bd63"), (55, "#a6d96a"), (70, "#fee08b"), (85, "#fdae61"))
    for limit, colour in stops:
        if value < limit:
            return colour
    return "#d73027" if value >= 95 else "#f46d43"


def spark(values: Sequence[float], width: int = 12, span: float = 10.0) -> str:
    """A text sparkline of the last ``width`` values, scaled min..max over at least ``span``
    points (so a flat line sits mid-height instead of looking full or empty)."""
    if not values:
        return " " * width
    tail = list(values)[-width:]
    low, high = min(tail), max(tail)
    if high - low < span:
        low = max(0.0, (low + high - span) / 2)
        high = low + span
    line = "".join(BARS[min(7, max(0, round((v - low) / (high - low) * 7)))] for v in tail)
    return line.rjust(width)


def count_cell(service: ServiceState) -> Text:
    """``6/6 ✓`` style cell: running/desired and one glyph saying what needs attention."""
    glyph, style = health_glyph(service.health, service.desired)
    text = Text(f"{service.running}/{service.desired} ")
    text.append(glyph, style=style)
    return text


def health_glyph(health: HealthSummary, desired: int) -> tuple[str, str]:
    """The glyph and style for a service's health at a glance."""
    if health.crash_looping:
        return "✗ crash", "bold red"
    if health.deployment_failed:
        return "✗ failed", "bold red"
    if health.unhealthy_targets:
        return f"! {health.unhealthy_targets} unhealthy", "bold red"
    if health.missing_tasks:
        return f"! -{health.missing_tasks}", "yellow"
    if health.deployment_in_progress:
        return "⟳ deploying", "cyan"
    if desired == 0:
        return "○", "dim"
    return "✓", "green"


def health_words(health: HealthSummary) -> str:
    """A short sentence of what needs attention (``healthy`` when nothing does)."""
    parts = []
    if health.crash_looping:
        parts.append("crash-looping")
    if health.deployment_failed:
        parts.append("deployment failed")
    if health.deployment_in_progress:
        parts.append("deployment in progress")
    if health.missing_tasks:
        parts.append(f"{health.missing_tasks} task(s) missing")
    if health.unhealthy_targets:
        parts.append(f"{health.unhealthy_targets} unhealthy target(s)")
    return ", ".join(parts) or "healthy"


def money(amount: float | None, currency: str = "USD") -> str:
    """``$1,234`` month-to-date spend (``-`` when unknown)."""
    if amount is None:
        return "-"
    symbol = {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency, currency + " ")
    return f"{symbol}{amount:,.0f}"


def money_short(amount: float | None) -> str:
    """``$412``, ``$1.4k``, ``$12k``, ``$1.2M`` (``-`` when unknown)."""
    if amount is None:
        return "-"
    if amount < 1000:
        return f"${amount:.0f}"
    if amount < 10_000:
        return f"${amount / 1000:.1f}k"
    if amount < 1_000_000:
        return f"${amount / 1000:.0f}k"
    return f"${amount / 1_000_000:.1f}M"


def clock(moment: dt.datetime | None) -> str:
    """``14:03:09`` in UTC (``-`` when unknown)."""
    return "-" if moment is None else moment.astimezone(dt.UTC).strftime("%H:%M:%S")


def short_id(value: str, size: int = 8) -> str:
    """The first ``size`` characters of an id (task ids, change ids)."""
    return value[:size]
