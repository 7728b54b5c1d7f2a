"""`opskit costs --compare` and `--months` from the command line, against the live sandbox."""

from __future__ import annotations

import calendar
import datetime as dt
import json
import subprocess

import pytest
from cli_inprocess import opskit_inprocess


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return opskit_inprocess(env, "costs", *args)


def months_back(n: int) -> str:
    today = dt.datetime.now(dt.UTC).date()
    index = today.year * 12 + today.month - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def test_a_chosen_pair_is_compared_per_day(sandbox_env: dict[str, str]) -> None:
    pair = f"{months_back(4)}:{months_back(2)}"
    done = run(sandbox_env, "--source", "cur", "--by", "env", "--compare", pair, "-o", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["compared"] == [months_back(4), months_back(2)]
    assert document["partial_periods"][months_back(0)]["days_billed"] == dt.datetime.now(dt.UTC).day
    assert all("delta_per_day" in row for row in document["drivers"])
    sums: dict[tuple[str, str, str], float] = {}
    for row in document["rows"]:
        key = (row["period"], row["environment"], row["charge"])
        sums[key] = sums.get(key, 0.0) + row["amortized"]
    before, after = document["compared"]
    assert document["drivers"]
    for row in document["drivers"]:
        env, charge = row["environment"], row["charge"]
        assert row["previous_per_day"] == pytest.approx(
            sums.get((before, env, charge), 0.0) / days_in(before)
        )
        assert row["current_per_day"] == pytest.approx(
            sums.get((after, env, charge), 0.0) / days_in(after)
        )


def days_in(period: str) -> int:
    year, month = (int(p) for p in period.split("-"))
    return calendar.monthrange(year, month)[1]


def test_a_pair_outside_the_window_is_a_usage_error(sandbox_env: dict[str, str]) -> None:
    pair = f"{months_back(20)}:{months_back(1)}"
    done = run(sandbox_env, "--source", "cur", "--months", "3", "--compare", pair)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("opskit: --compare:")
    assert "outside the report's months" in lines[-1] and "Traceback" not in done.stderr
    bad = run(sandbox_env, "--compare", "last-month")
    assert bad.returncode == 2 and "expected YYYY-MM:YYYY-MM" in bad.stderr
