"""A cost report as text: table, csv, json, markdown, or html (laid out by ``html.py``).

Every human format shows the same sections (``sections.py``) and the report's notes
(missing months, unmapped accounts, allocation). CSV is the tidy frame itself; JSON holds
the frame and every section, for machines. The report is plain data; this renders it.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from opskit.costs.sections import Section, header, sections
from opskit.errors import UsageError

if TYPE_CHECKING:
    from opskit.costs.model import CostReport

FORMATS = ("table", "csv", "json", "markdown", "html")
_NUMBER = re.compile(r"^[-+]?[\d,]+(\.\d+)?%?$")


def _text_table(section: Section) -> str:
    cells = [section.headers, *section.rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(len(section.headers))]
    numeric = [
        all(_numeric(str(r[i])) for r in section.rows) and bool(section.rows)
        for i in range(len(widths))
    ]

    def line(row: list[Any]) -> str:
        parts = [
            str(v).rjust(w) if num else str(v).ljust(w)
            for v, w, num in zip(row, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    body = [
        line(section.headers),
        "  ".join("-" * w for w in widths),
        *(line(r) for r in section.rows),
    ]
    if section.note:
        body.append(section.note)
    return f"{section.title}\n" + "\n".join(body)


def _numeric(text: str) -> bool:
    return bool(_NUMBER.match(text)) or text in ("-", "new")


def _markdown_table(section: Section) -> str:
    def esc(value: Any) -> str:
        return str(value).replace("|", "\\|")

    lines = [f"## {section.title}", "", "| " + " | ".join(esc(h) for h in section.headers) + " |"]
    lines.append("|" + "|".join("---" for _ in section.headers) + "|")
    lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in section.rows]
    if section.note:
        lines += ["", f"_{section.note}_"]
    return "\n".join(lines)


def as_json(report: CostReport, metric: str) -> str:
    """Everything, for machines: the tidy rows and each derived table."""
    totals = report.totals_by_env(metric)
    drivers = report.mom_drivers(metric)
    share = report.untagged_share()
    partial = report.partial_periods()
    meter = report.meter
    document = {
        "source": report.spec.source,
        "periods": list(report.spec.periods),
        "by": list(report.spec.by),
        "metric": metric,
        "built_at": report.built_at.isoformat(),
        "rows": json.loads(report.frame.to_json(orient="records")),
        "totals": {
            str(p): {str(k): float(v) for k, v in row.items()} for p, row in totals.iterrows()
        },
        "partial_periods": {
            p: {"days_billed": d, "days_in_month": n} for p, (d, n) in partial.items()
        },
        "complete_periods": [p for p in report.spec.periods if p not in partial],
        "compared": list(drivers.attrs.get("periods", ())),
        "drivers": json.loads(drivers.to_json(orient="records")),
        "window_movers": json.loads(report.window_movers(metric).to_json(orient="records")),
        "forecast": json.loads(report.forecast().to_json(orient="records")),
        "forecast_by_class": json.loads(report.forecast_by_class().to_json(orient="records")),
        "steps": [
            {
                "environment": s.environment,
                "service": s.service,
                "day": s.day.isoformat(),
                "before_per_day": s.before,
                "after_per_day": s.after,
                "change_id": s.change.change_id if s.change else None,
                "explained_by": s.change.what if s.change else None,
                "user": s.change.user if s.change else None,
                "text": s.text(),
            }
            for s in report.explained
        ],
        "untagged_share": None if share is None else json.loads(share.to_json(orient="index")),
        "missing_periods": report.missing_periods,
        "unmapped_accounts": report.unmapped_accounts,
        "shared_allocation": report.shared_rule,
        "notes": report.notes(),
        "cost": {
            "ce_requests": meter.ce_requests,
            "ce_cached": meter.ce_cached,
            "ce_price_usd": round(meter.ce_price, 2),
            "athena_queries": meter.athena_queries,
            "athena_scanned_bytes": meter.athena_scanned,
            "cur_files": meter.cur_files,
        },
    }
    return json.dumps(document, indent=2)


def render(report: CostReport, fmt: str, metric: str = "amortized") -> str:
    """The report in one of ``FORMATS``."""
    if metric not in ("unblended", "amortized", "net"):
        raise UsageError(f"--metric: expected unblended, amortized or net, got '{metric}'")
    if fmt == "csv":
        return str(report.frame.to_csv(index=False))
    if fmt == "json":
        return as_json(report, metric)
    if fmt == "html":
        from opskit.costs.html import render_html

        return render_html(report, metric)
    if fmt not in ("table", "markdown"):
        raise UsageError(f"--output: expected one of {', '.join(FORMATS)}, got '{fmt}'")
    parts = sections(report, metric)
    notes = report.notes()
    if fmt == "markdown":
        body = [f"# {header(report)}", *(_markdown_table(s) for s in parts)]
        if notes:
            body.append("## Notes\n\n" + "\n".join(f"- {n}" for n in notes))
        return "\n\n".join(body) + "\n"
    body = [header(report), *(_text_table(s) for s in parts)]
    if notes:
        body.append("Notes\n" + "\n".join(f"- {n}" for n in notes))
    return "\n\n".join(body) + "\n"
