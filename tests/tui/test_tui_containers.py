"""The task view's per-container CPU and memory columns (Container Insights).

On fixed data: the columns, the figures, and "Container Insights off" for a cluster
without them, read once per CloudWatch period. On the live sandbox: the figures shown are
the ones CloudWatch holds for those containers (read with boto3, over HTTP), and stage's
``edge`` cluster (Container Insights disabled) says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from insights_reads import FIGURES, candidates, container_reads
from tui_fake import FakeSource
from tui_pilot import loaded, shown, until

from opskit.config import Config
from tui.app import OpskitApp
from tui.library import LibrarySource
from tui.screens.task import TaskScreen
from tui.settings import Settings

pytestmark = pytest.mark.anyio
AppFactory = Callable[..., OpskitApp]
LONG = 3000
CELLS = re.compile(
    r"(?P<cpu_used>[\d.]+)/(?P<cpu_reserved>[\d.]+) \([\d.]+%\)\s+"
    r"(?P<memory_used>[\d.]+)/(?P<memory_reserved>[\d.]+) MiB \([\d.]+%\)"
)


async def open_task(app: OpskitApp, pilot: Any, env: str, cluster: str, service: str) -> TaskScreen:
    app.open("service", env, cluster, service)
    await until(pilot, lambda: getattr(app.screen, "detail", None) is not None, LONG)
    await pilot.press("enter")  # the task under the cursor
    await until(pilot, lambda: isinstance(app.screen, TaskScreen), LONG)
    screen = app.screen
    assert isinstance(screen, TaskScreen)
    await until(pilot, lambda: screen.usage is not None, LONG)
    return screen


async def test_task_view_has_cpu_and_memory_columns(fake_app: AppFactory) -> None:
    source = FakeSource()
    app = fake_app(source)
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        screen = await open_task(app, pilot, "dev", "api", "api")
        body = shown(screen.query_one("#task-body"))
        header = next(line.split() for line in body.splitlines() if "container" in line.split())
        columns = header[header.index("container") :][:7]
        assert columns == ["container", "image", "status", "exit", "health", "cpu", "memory"]
        assert "100/256 (39.1%)" in body and "300/512 MiB (58.6%)" in body
        calls = source.calls
        screen.ask_usage()  # the next tick asks again: the library's reader caches a period
        await pilot.pause()
        assert source.calls == calls + 2


async def test_task_view_says_when_container_insights_is_off(fake_app: AppFactory) -> None:
    source = FakeSource()
    source.insights_off.add("api")
    app = fake_app(source)
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        screen = await open_task(app, pilot, "dev", "api", "api")
        body = shown(screen.query_one("#task-body"))
        assert "Container Insights off for cluster api" in body
        assert "insights off" in body and "…" not in body


async def test_task_view_says_when_the_figures_cannot_be_read(fake_app: AppFactory) -> None:
    source = FakeSource()
    source.containers_error = "prod (eu-west-1): CloudWatch GetMetricData: AccessDenied"
    app = fake_app(source)
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        screen = await open_task(app, pilot, "dev", "api", "api")
        body = shown(screen.query_one("#task-body"))
        assert "unknown: prod (eu-west-1): CloudWatch GetMetricData: AccessDenied" in body
        row = next(line for line in body.splitlines() if line.strip().startswith("api "))
        assert row.count("unknown") == 2 and "insights off" not in body


@pytest.mark.slow
async def test_task_view_shows_what_cloudwatch_holds_sidecar_included(
    config: Config, sandbox: Any, alice: Any
) -> None:
    cloudwatch = alice.client("cloudwatch", env="prod")
    settings = Settings.from_config(config, ("prod",))
    app = OpskitApp(config, LibrarySource(config), settings)
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(pilot)
        screen = await open_task(app, pilot, "prod", "app", "app-web")
        task = screen.ecs_task
        family = task.task_definition.rsplit(":", 1)[0]
        reads = container_reads(
            cloudwatch, "app", [(task.id, family, [c.name for c in task.containers])]
        )
        body = shown(screen.query_one("#task-body"))
        names = [c.name for c in screen.ecs_task.containers]
        assert set(names) == {"app-web", "datadog-agent"}
        for name in names:
            lines = [line for line in body.splitlines() if line.strip().startswith(name)]
            assert lines, body
            line = lines[0]
            match = CELLS.search(line)
            assert match, line
            seen = {figure: float(match[figure]) for figure in FIGURES}
            expected = candidates(reads, task.id, name, 1)
            assert seen in expected, (line, expected)


@pytest.mark.slow
async def test_task_view_on_a_cluster_without_container_insights(
    config: Config, sandbox: Any, alice: Any
) -> None:
    ecs = alice.client("ecs", env="stage", region="us-east-1")
    found = ecs.describe_clusters(clusters=["edge"], include=["SETTINGS"])["clusters"][0]
    assert {"name": "containerInsights", "value": "disabled"} in found["settings"]
    settings = Settings.from_config(config, ("stage",))
    app = OpskitApp(config, LibrarySource(config), settings)
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(pilot)
        screen = await open_task(app, pilot, "stage", "edge", "edge-proxy")
        body = shown(screen.query_one("#task-body"))
        assert "Container Insights off for cluster edge" in body
        assert "insights off" in body


@pytest.mark.slow
async def test_a_standalone_tasks_container_has_its_figures(
    config: Config, sandbox: Any, alice: Any
) -> None:
    from tui.screens.cluster import ClusterScreen
    from tui.widgets.keyed_table import KeyedTable

    cloudwatch = alice.client("cloudwatch", env="dev")
    settings = Settings.from_config(config, ("dev",))
    app = OpskitApp(config, LibrarySource(config), settings)
    async with app.run_test(size=(200, 40)) as pilot:
        await loaded(pilot)
        app.open("cluster", "dev", "app")
        await until(pilot, lambda: isinstance(app.screen, ClusterScreen), LONG)
        table = app.screen.query_one("#standalone", KeyedTable)
        await until(pilot, lambda: table.row_count > 0, LONG)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskScreen), LONG)
        screen = app.screen
        assert isinstance(screen, TaskScreen) and screen.ecs_task.standalone
        await until(pilot, lambda: screen.usage is not None, LONG)
        task = screen.ecs_task
        family = task.task_definition.rsplit(":", 1)[0]
        names = [c.name for c in task.containers]
        reads = container_reads(cloudwatch, "app", [(task.id, family, names)])
        body = shown(screen.query_one("#task-body"))
        for name in names:
            lines = [line for line in body.splitlines() if line.strip().startswith(name)]
            match = CELLS.search(lines[0]) if lines else None
            assert match, body
            seen = {figure: float(match[figure]) for figure in FIGURES}
            assert seen in candidates(reads, task.id, name, 1), (body, reads)
