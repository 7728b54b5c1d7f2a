"""`opskit costs`: what each environment costs, by service, month over month.

Thin: parses options, builds the report through ``opskit.costs`` and prints it. The report
goes to stdout (pure CSV/JSON/HTML when asked); progress and what the report cost to build
(Cost Explorer requests at $0.01, Athena bytes) go to stderr. pandas and boto3 load only
when the command runs, so ``opskit --help`` stays fast.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import Annotated

import typer

from opskit.cli.common import progress, workspace


class CostOutput(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"
    html = "html"


class Source(StrEnum):
    ce = "ce"
    cur = "cur"
    athena = "athena"


class Metric(StrEnum):
    amortized = "amortized"
    unblended = "unblended"
    net = "net"


def register(app: typer.Typer) -> None:
    app.command("costs")(costs)


def costs(
    ctx: typer.Context,
    months: Annotated[
        int,
        typer.Option(
            "--months",
            "-m",
            min=0,
            max=37,
            help="Complete months to show; this month to date is shown apart, marked partial.",
        ),
    ] = 6,
    by: Annotated[
        str,
        typer.Option(
            "--by", help="Breakdown: env, account, service, charge, tag:KEY (comma-separated)."
        ),
    ] = "env,service",
    source: Annotated[
        Source | None, typer.Option("--source", help="ce, cur or athena (default: [costs].source).")
    ] = None,
    output: Annotated[
        CostOutput, typer.Option("--output", "-o", help="table, csv, json, markdown or html.")
    ] = CostOutput.table,
    metric: Annotated[
        Metric, typer.Option("--metric", help="Which cost the tables show.")
    ] = Metric.amortized,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            help="Month-over-month pair, per day: YYYY-MM:YYYY-MM (default: last two complete).",
        ),
    ] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ignore cached Cost Explorer/Athena answers.")
    ] = False,
) -> None:
    """Cost by environment from the consolidated bill (Cost Explorer, CUR or Athena)."""
    from opskit.costs import build_report
    from opskit.costs.render import render

    ws = workspace(ctx)
    chosen = source.value if source else ws.config.costs.source
    progress(f"costs: {months} complete month(s) and this month to date by {by} from {chosen}…")
    report = build_report(ws, months=months, by=by, source=chosen, refresh=refresh, compare=compare)
    for line in report.meter.lines():
        progress(line)
    text = render(report, output.value, metric.value)
    sys.stdout.write(text)
