"""One service name in two clusters (dev's ``sweeper``): the dashboard's logs and raw view
name the cluster, so neither is refused as ambiguous.

Which clusters run ``sweeper`` is read with boto3 as the test user, not from opskit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from tui_pilot import loaded, until

from opskit.config import Config
from tui.app import OpskitApp
from tui.library import LibrarySource
from tui.screens.logs import LogsScreen
from tui.screens.raw import RawScreen
from tui.screens.service import ServiceScreen
from tui.settings import Settings

LONG = 3000
pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def _clusters_running(ecs: Any, service: str) -> list[str]:
    names = []
    for arn in ecs.list_clusters()["clusterArns"]:
        found = ecs.describe_services(cluster=arn, services=[service])["services"]
        if any(s.get("status") == "ACTIVE" for s in found):
            names.append(arn.rsplit("/", 1)[-1])
    return names


async def test_logs_and_raw_of_a_name_running_in_two_clusters(
    config: Config, sandbox: Any, aws_as: Callable[[str], Any]
) -> None:
    ecs = aws_as("alice").client("ecs", env="dev")
    clusters = _clusters_running(ecs, "sweeper")
    assert len(clusters) == 2, clusters
    cluster = clusters[-1]
    app = OpskitApp(
        config, LibrarySource(config, None), Settings.from_config(config, envs=("dev",))
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", cluster, "sweeper")
        screen = app.screen
        assert isinstance(screen, ServiceScreen)
        await until(pilot, lambda: screen.detail is not None, LONG)
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        assert logs.service == f"{cluster}/sweeper"
        await until(pilot, lambda: len(logs.lines) > 0, LONG)  # read, not refused
        arns = set(ecs.list_tasks(cluster=cluster, serviceName="sweeper")["taskArns"])
        ids = {arn.rsplit("/", 1)[-1] for arn in arns}
        # The streams of this cluster's tasks are among them (both services log to one
        # group and prefix, so the other cluster's lines show too: see the README).
        assert {line.task for line in logs.lines} & (ids | {i[:8] for i in ids})
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, RawScreen), LONG)
        raw = app.screen
        assert isinstance(raw, RawScreen)
        assert json.loads(raw.text)["service"]["clusterArn"].endswith(f"/{cluster}")
