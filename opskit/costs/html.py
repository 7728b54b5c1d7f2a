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

from opskit.costs.render import Section, header, money, sections
from opskit.costs.spec import ENVIRONMENT

if TYPE_CHECKING:
    from opskit.costs.report import CostReport

PALETTE = {
    "red": "#d1495b", "green": "#66a182", "yellow": "#edae49", "blue": "#00798c",
    "magenta": "#a05195", "cyan": "#2ec4b6", "white": "#8d99ae", "orange": "#f4845f",
    "purple": "#6a4c93", "grey": "#7d8597",
}  # fmt: skip
FALLBACK = ("#00798c", "#edae49", "#d1495b", "#66a182", "#6a4c93", "#f4845f", "#2ec4b6", "#7d8597")
UP, DOWN = "#d1495b", "#66a182"


def _nice_step(top: float, ticks: int = 4) -> float:
    raw = max(top, 1.0) / ticks
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)


def colours(report: CostReport) -> dict[str, str]:
    out = {}
    for i, env in enumerate(report.env_order):
        named = report.env_colours.get(env)
        out[env] = PALETTE.get(named or "", FALLBACK[i % len(FALLBACK)])
    return out


def stacked_bars(report: CostReport, metric: str) -> str:
    """Spend per month, one bar per month, one segment per environment."""
    totals = report.totals_by_env(metric)
    envs = [c for c in totals.columns if c != "total"]
    if totals.empty:
        return ""
    width, height, left, bottom, top_pad = 760, 300, 70, 40, 12
    plot_h = height - bottom - top_pad
    step = _nice_step(float(totals["total"].max()))
    top = step * math.ceil(max(float(totals["total"].max()), 1.0) / step)
    slot = (width - left - 10) / len(totals)
    bar = slot * 0.7
    palette = colours(report)
    parts = [
        f'<svg viewBox="0 0 {width} {height + 24}" role="img" aria-label="spend by environment per month">'
    ]
    value = 0.0
    while value <= top + 1e-9:
        y = top_pad + plot_h - value / top * plot_h
        parts.append(
            f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="axis" text-anchor="end">{value:,.0f}</text>'
        )
        value += step
    for i, (period, row) in enumerate(totals.iterrows()):
        x = left + i * slot + (slot - bar) / 2
        base = top_pad + plot_h
        for env in envs:
            amount = max(float(row[env]), 0.0)
            h = amount / top * plot_h
            base -= h
            tip = html.escape(f"{period} {env}: {money(amount)}")
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{palette.get(str(env), "#999")}"><title>{tip}</title></rect>'
            )
        label = html.escape(str(period))
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{top_pad + plot_h + 16}" class="axis" text-anchor="middle">{label}</text>'
        )
    x = left
    for env in envs:
        parts.append(
            f'<rect x="{x}" y="{height + 8}" width="12" height="12" fill="{palette.get(str(env), "#999")}"/>'
        )
        parts.append(
            f'<text x="{x + 16}" y="{height + 18}" class="axis">{html.escape(str(env))}</text>'
        )
        x += 24 + 8 * len(str(env))
    parts.append("</svg>")
    return "".join(parts)


def diverging_bars(labels: Sequence[str], deltas: Sequence[float]) -> str:
    """One horizontal bar per label: right and red for more spend, left and green for less."""
    if not labels:
        return ""
    width, row_h, label_w = 760, 22, 260
    height = row_h * len(labels) + 10
    span = max(abs(d) for d in deltas) or 1.0
    mid = label_w + (width - label_w) / 2
    half = (width - label_w) / 2 - 70
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="month over month drivers">'
    ]
    parts.append(f'<line x1="{mid}" x2="{mid}" y1="0" y2="{height}" class="grid"/>')
    for i, (label, delta) in enumerate(zip(labels, deltas, strict=True)):
        y = 5 + i * row_h
        w = abs(delta) / span * half
        x = mid if delta >= 0 else mid - w
        colour = UP if delta >= 0 else DOWN
        text_x = mid + w + 4 if delta >= 0 else mid - w - 4
        anchor = "start" if delta >= 0 else "end"
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 14}" class="axis" text-anchor="end">{html.escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{text_x:.1f}" y="{y + 14}" class="axis" text-anchor="{anchor}">{delta:+,.2f}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def forecast_bars(report: CostReport) -> str:
    """Per environment: month to date (solid) inside the end-of-month forecast (light)."""
    forecast = report.forecast()
    if forecast.empty:
        return ""
    width, row_h, label_w = 760, 24, 120
    height = row_h * len(forecast) + 10
    top = max(float(forecast["forecast"].max()), 1.0)
    scale = (width - label_w - 150) / top
    palette = colours(report)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="forecast per environment">'
    ]
    for i, (_, row) in enumerate(forecast.iterrows()):
        y = 5 + i * row_h
        env = str(row[ENVIRONMENT])
        colour = palette.get(env, "#999")
        full, so_far = float(row["forecast"]) * scale, float(row["month_to_date"]) * scale
        text = html.escape(
            f"{money(row['month_to_date'])} so far, {money(row['forecast'])} forecast"
        )
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" class="axis" text-anchor="end">{html.escape(env)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(full, 0):.1f}" height="{row_h - 8}" fill="{colour}" opacity="0.35"/>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{max(so_far, 0):.1f}" height="{row_h - 8}" fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_w + max(full, so_far, 0) + 6:.1f}" y="{y + 15}" class="axis">{text}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(section: Section) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in section.headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in section.rows
    )
    note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
    return f"<h2>{html.escape(section.title)}</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:980px;color:#1d2433}
h1{font-size:1.4rem} h2{font-size:1.1rem;margin-top:2rem} svg{width:100%;height:auto}
table{border-collapse:collapse;font-size:.85rem} th,td{padding:.25rem .6rem;border-bottom:1px solid #e3e6ea}
td{text-align:right;font-variant-numeric:tabular-nums} td:first-child,th:first-child{text-align:left}
.axis{font-size:11px;fill:#4a5568} .grid{stroke:#e3e6ea} .note{color:#4a5568;font-size:.85rem}
ul.notes li{margin:.2rem 0}
"""


def render_html(report: CostReport, metric: str = "amortized") -> str:
    """The whole report as one HTML page."""
    drivers = report.mom_drivers(metric)
    labels: list[str] = []
    deltas: list[float] = []
    if not drivers.empty:
        what = drivers.columns[1]
        labels = [f"{r[ENVIRONMENT]} / {r[what]}" for _, r in drivers.iterrows()]
        deltas = [float(d) for d in drivers["delta"]]
    chart_forecast = (
        forecast_bars(report) if report.spec.current_period in report.spec.periods else ""
    )
    pair = drivers.attrs.get("periods") if not drivers.empty else None
    blocks = [
        f"<h1>{html.escape(header(report))}</h1>",
        f"<h2>Spend by environment per month ({html.escape(metric)}, USD)</h2>",
        stacked_bars(report, metric),
    ]
    if labels:
        blocks += [
            f"<h2>What changed, {html.escape(' -> '.join(pair or ()))}</h2>",
            diverging_bars(labels, deltas),
        ]
    if chart_forecast:
        blocks += [
            f"<h2>Forecast for {html.escape(report.spec.current_period)}</h2>",
            chart_forecast,
        ]
    blocks += [_table(s) for s in sections(report, metric)]
    notes = report.notes() + report.meter.lines()
    if notes:
        blocks.append(
            "<h2>Notes</h2><ul class='notes'>"
            + "".join(f"<li>{html.escape(n)}</li>" for n in notes)
            + "</ul>"
        )
    body = "\n".join(b for b in blocks if b)
    title = html.escape(header(report))
    return f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n'
