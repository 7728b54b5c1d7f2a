"""The HTML cost report: one self-contained page with inline SVG charts.

Readable in any browser without a notebook, a server or a network: spend by environment per
month as stacked bars, the month-over-month drivers as diverging bars, month-to-date versus
forecast, then every table of the text report. The SVG is written by hand (no matplotlib),
so the page is small, deterministic and quick to make.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from opskit.costs.sections import Section, header, money, sections
from opskit.costs.spec import ENVIRONMENT

if TYPE_CHECKING:
    from opskit.costs.model import CostReport

PALETTE = {
    "red": "#d1495b", "green": "#66a182", "yellow": "#edae49", "blue": "#00798c",
    "magenta": "#a05195", "cyan": "#2ec4b6", "white": "#8d99ae", "orange": "#f4845f",
    "purple": "#6a4c93", "grey": "#7d8597",
}  # fmt: skip
FALLBACK = ("#00798c", "#edae49", "#d1495b", "#66a182", "#6a4c93", "#f4845f", "#2ec4b6")
UP, DOWN, WIDTH = "#d1495b", "#66a182", 760


def _svg(height: float, label: str) -> str:
    return f'<svg viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{html.escape(label)}">'


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str = "", extra: str = "") -> str:
    title = f"<title>{html.escape(tip)}</title>" if tip else ""
    size = f'x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}"'
    return f'<rect {size} fill="{fill}"{extra}>{title}</rect>'


def _text(x: float, y: float, content: str, anchor: str = "start") -> str:
    where = f'x="{x:.1f}" y="{y:.1f}" class="axis" text-anchor="{anchor}"'
    return f"<text {where}>{html.escape(content)}</text>"


def _nice_step(top: float, ticks: int = 4) -> float:
    raw = max(top, 1.0) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return float(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw))


def colours(report: CostReport) -> dict[str, str]:
    """A colour per environment: its configured one, else from a fixed palette."""
    out = {e: PALETTE[c] for e, c in report.env_colours.items() if c in PALETTE}
    spare = [c for c in FALLBACK if c not in out.values()] or list(FALLBACK)
    for i, env in enumerate(e for e in report.env_order if e not in out):
        out[env] = spare[i % len(spare)]
    return out


def stacked_bars(report: CostReport, metric: str) -> str:
    """Spend per month, one bar per month, one segment per environment."""
    totals = report.totals_by_env(metric)
    if totals.empty:
        return ""
    envs = [str(c) for c in totals.columns if c != "total"]
    height, left, bottom, top_pad = 300, 70, 40, 12
    plot_h = height - bottom - top_pad
    highest = max(float(totals["total"].max()), 1.0)
    step = _nice_step(highest)
    top = step * math.ceil(highest / step)
    slot = (WIDTH - left - 10) / len(totals)
    bar = slot * 0.7
    palette = colours(report)
    parts = [_svg(height + 24, "spend by environment per month")]
    value = 0.0
    while value <= top + 1e-9:
        y = top_pad + plot_h - value / top * plot_h
        parts.append(
            f'<line x1="{left}" x2="{WIDTH - 10}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(_text(left - 6, y + 4, f"{value:,.0f}", "end"))
        value += step
    partial = report.partial_periods()
    for i, (period, row) in enumerate(totals.iterrows()):
        x = left + i * slot + (slot - bar) / 2
        base = float(top_pad + plot_h)
        days = partial.get(str(period))
        # a partial month is drawn faded, dashed and labelled "to date": never a "drop"
        extra = ' opacity="0.45" stroke="#1d2433" stroke-dasharray="3,2" data-partial="true"'
        said = f" (month to date, {days[0]} of {days[1]} days)" if days else ""
        for env in envs:
            amount = max(float(row[env]), 0.0)
            h = amount / top * plot_h
            base -= h
            tip = f"{period} {env}: {money(amount)}{said}"
            colour = palette.get(env, "#999")
            parts.append(_rect(x, base, bar, h, colour, tip, extra if days else ""))
        label = f"{period} to date" if days else str(period)
        parts.append(_text(x + bar / 2, top_pad + plot_h + 16, label, "middle"))
    x = left
    for env in envs:
        parts.append(_rect(x, height + 8, 12, 12, palette.get(env, "#999")))
        parts.append(_text(x + 16, height + 18, env))
        x += 24 + 8 * len(env)
    parts.append("</svg>")
    return "".join(parts)


def diverging_bars(labels: Sequence[str], deltas: Sequence[float]) -> str:
    """One horizontal bar per label: right and red for more spend, left and green for less."""
    if not labels:
        return ""
    row_h, label_w = 22, 260
    height = row_h * len(labels) + 10
    span = max(abs(d) for d in deltas) or 1.0
    rises, falls = any(d > 0 for d in deltas), any(d < 0 for d in deltas)
    sides = 2 if rises and falls else 1
    half = (WIDTH - label_w) / sides - 70
    mid = label_w + 70 + half if falls else label_w
    parts = [_svg(height, "month over month drivers")]
    parts.append(f'<line x1="{mid}" x2="{mid}" y1="0" y2="{height}" class="grid"/>')
    for i, (label, delta) in enumerate(zip(labels, deltas, strict=True)):
        y = 5 + i * row_h
        w = abs(delta) / span * half
        rising = delta >= 0
        parts.append(_text(label_w - 8, y + 14, label, "end"))
        parts.append(_rect(mid if rising else mid - w, y + 3, w, row_h - 8, UP if rising else DOWN))
        at = mid + w + 4 if rising else mid - w - 4
        parts.append(_text(at, y + 14, f"{delta:+,.2f}", "start" if rising else "end"))
    parts.append("</svg>")
    return "".join(parts)


def forecast_bars(report: CostReport) -> str:
    """Per environment: month to date (solid) inside the end-of-month forecast (light)."""
    forecast = report.forecast()
    if forecast.empty:
        return ""
    row_h, label_w = 24, 120
    height = row_h * len(forecast) + 10
    scale = (WIDTH - label_w - 250) / max(float(forecast["forecast"].max()), 1.0)
    palette = colours(report)
    parts = [_svg(height, "forecast per environment")]
    for i, (_, row) in enumerate(forecast.iterrows()):
        y = 5 + i * row_h
        env = str(row[ENVIRONMENT])
        colour = palette.get(env, "#999")
        full, so_far = float(row["forecast"]) * scale, float(row["month_to_date"]) * scale
        parts.append(_text(label_w - 8, y + 15, env, "end"))
        parts.append(_rect(label_w, y + 3, full, row_h - 8, colour, extra=' opacity="0.35"'))
        parts.append(_rect(label_w, y + 3, so_far, row_h - 8, colour))
        said = f"{money(row['month_to_date'])} so far, {money(row['forecast'])} forecast"
        parts.append(_text(label_w + max(full, so_far, 0) + 6, y + 15, said))
    parts.append("</svg>")
    return "".join(parts)


def _table(section: Section) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in section.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in section.rows
    )
    note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f"<h2>{html.escape(section.title)}</h2>{table}{note}"


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:980px}
body{color:#1d2433} h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem}
svg{width:100%;height:auto} table{border-collapse:collapse;font-size:.85rem}
th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e6ea}
td{text-align:right;font-variant-numeric:tabular-nums}
td:first-child,th:first-child{text-align:left}
.axis{font-size:11px;fill:#4a5568} .grid{stroke:#e3e6ea} .note{color:#4a5568;font-size:.85rem}
"""


def render_html(report: CostReport, metric: str = "amortized") -> str:
    """The whole report as one HTML page."""
    drivers = report.mom_drivers(metric, top=None)
    blocks = [
        f"<h1>{html.escape(header(report))}</h1>",
        f"<h2>Spend by environment per month ({html.escape(metric)}, USD)</h2>",
        stacked_bars(report, metric),
    ]
    if not drivers.empty:
        what = drivers.columns[1]
        labels = [f"{r[ENVIRONMENT]} / {r[what]}" for _, r in drivers.iterrows()]
        pair = " -> ".join(drivers.attrs.get("periods", ()))
        blocks += [
            f"<h2>What changed per day, {html.escape(pair)}</h2>",
            diverging_bars(labels, list(drivers["delta_per_day"])),
        ]
    movers = report.window_movers(metric, top=None)
    if not movers.empty and movers.attrs.get("periods") != drivers.attrs.get("periods"):
        what = movers.columns[1]
        labels = [f"{r[ENVIRONMENT]} / {r[what]}" for _, r in movers.iterrows()]
        span = " -> ".join(movers.attrs.get("periods", ()))
        blocks += [
            f"<h2>Movers over the window per day, {html.escape(span)}</h2>",
            diverging_bars(labels, list(movers["delta_per_day"])),
        ]
    if report.spec.current_period in report.spec.periods:
        blocks += [f"<h2>Forecast for {report.spec.current_period}</h2>", forecast_bars(report)]
    blocks += [_table(s) for s in sections(report, metric, top=None)]
    notes = report.notes() + report.meter.lines()
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        blocks.append(f"<h2>Notes</h2><ul>{items}</ul>")
    title = html.escape(header(report))
    head = f'<head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>'
    body = "\n".join(b for b in blocks if b)
    return f'<!doctype html>\n<html lang="en">{head}\n<body>\n{body}\n</body></html>\n'
