"""Every output format of a report, the month-to-date cache, the disk cache."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pandas as pd
import pytest
from costs_support import TODAY

from opskit.costs import build_report, month_to_date
from opskit.costs.cache import DiskCache
from opskit.costs.render import render
from opskit.errors import UsageError


@pytest.fixture(scope="module")
def report(generated_bill: Path, repo_config: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from costs_support import LocalWorkspace, NoAws, with_costs

    config = with_costs(repo_config, source="cur", cur_path=str(generated_bill))
    ws = LocalWorkspace(config, NoAws(), tmp_path_factory.mktemp("state"))
    return build_report(ws, months=3, by="env,service,tag:team", today=TODAY)


def test_csv_is_the_tidy_frame(report: Any) -> None:
    frame = pd.read_csv(io.StringIO(render(report, "csv")), dtype={"account": str})
    assert list(frame.columns) == [
        "period", "environment", "account", "charge", "service", "tag:team",
        "unblended", "amortized", "net",
    ]  # fmt: skip
    assert frame["amortized"].sum() == pytest.approx(report.frame["amortized"].sum())
    assert "unmapped" in set(frame["environment"])


def test_json_holds_rows_and_every_section(report: Any) -> None:
    document = json.loads(render(report, "json"))
    assert document["periods"] == ["2025-08", "2025-09", "2025-10", "2025-11"]
    assert len(document["rows"]) == len(report.frame)
    assert document["unmapped_accounts"] == ["555555555555"]
    assert set(document["totals"]["2025-10"]) >= {
        "dev",
        "stage",
        "prod",
        "ops",
        "unmapped",
        "total",
    }
    assert document["drivers"] and document["forecast"]
    assert document["untagged_share"]["2025-10"]["prod"] > 0


def test_table_and_markdown_show_the_sections(report: Any) -> None:
    table = render(report, "table")
    for title in ("Spend by environment per month", "2025-10 by charge", "Month over month",
                  "Untagged share", "Forecast to the end of 2025-11", "unmapped"):  # fmt: skip
        assert title in table
    markdown = render(report, "markdown")
    assert markdown.startswith("# Cost by environment")
    assert "| period | dev | stage | prod | ops | unmapped | total |" in markdown
    with pytest.raises(UsageError):
        render(report, "yaml")


def test_html_is_one_page_with_charts(report: Any) -> None:
    page = render(report, "html")
    assert page.startswith("<!doctype html>")
    svgs = [chunk.split("</svg>")[0] for chunk in page.split("<svg")[1:]]
    assert len(svgs) == 4  # spend per month, drivers, movers over the window, forecast
    for svg in svgs:
        ElementTree.fromstring("<svg" + svg + "</svg>")  # well-formed
    assert page.count("<rect") > 4 * 5  # 4 months x 5 environments, plus legend and bars
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # self-contained


def test_month_to_date_comes_from_the_cache_only(repo_config: Any, tmp_path: Path) -> None:
    from costs_support import LocalWorkspace, NoAws

    cold = LocalWorkspace(repo_config, NoAws(), tmp_path)
    assert month_to_date(cold) is None  # never asks AWS (NoAws would raise)
    from opskit.costs import mtd

    now = dt.datetime.now(dt.UTC).date()
    mtd.save(tmp_path, f"{now:%Y-%m}", {"prod": 12.345, "dev": 1.0}, "cur", ["dev", "prod"])
    assert month_to_date(cold) == {"dev": 1.0, "prod": 12.35}
    path = mtd.path_for(tmp_path)
    old = time.time() - 7 * 3600
    os.utime(path, (old, old))
    record = json.loads(path.read_text())
    record["saved_at"] = old
    path.write_text(json.dumps(record))
    assert month_to_date(cold) is None  # older than cache_hours (6)


def test_importing_the_month_to_date_api_stays_light() -> None:
    code = (
        "import sys, opskit.costs; "
        "assert 'pandas' not in sys.modules and 'pyarrow' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_disk_cache_expires(tmp_path: Path) -> None:
    clock = [1000.0]
    cache = DiskCache(tmp_path, hours=1, clock=lambda: clock[0])
    cache.put({"q": 1}, [1, 2])
    os.utime(next(tmp_path.iterdir()), (1000.0, 1000.0))
    assert cache.get({"q": 1}) == [1, 2]
    assert cache.get({"q": 1}, refresh=True) is None
    assert cache.get({"q": 2}) is None
    clock[0] += 3601
    assert cache.get({"q": 1}) is None
    assert oct(next(tmp_path.iterdir()).stat().st_mode)[-3:] == "600"


def test_a_missing_cur_folder_is_one_clear_error(
    workspace_for: Callable[..., Any], tmp_path: Path
) -> None:
    ws = workspace_for(tmp_path / "nowhere")
    with pytest.raises(UsageError, match="does not exist"):
        build_report(ws, months=0, today=TODAY)
