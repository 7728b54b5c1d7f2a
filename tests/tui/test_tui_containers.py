"""The task view's per-container CPU and memory columns (Container Insights).

On fixed data: the columns, the figures, and "Container Insights off" for a cluster
without them, read once per CloudWatch period. On the live sandbox: the figures shown are
the ones CloudWatch holds for those containers (read with boto3, over HTTP), and stage's
``edge`` cluster (Container Insights disabled) says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
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
FIGURES = {
    "cpu_used": "ContainerCpuUtilized",
    "cpu_reserved": "ContainerCpuReserved",
    "memory_used": "ContainerMemoryUtilized",
    "memory_reserved": "ContainerMemoryReserved",
}
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


def cloudwatch_figures(
    cloudwatch: Any, cluster: str, task: Any
) -> list[dict[str, dict[str, float]]]:
    """As boto3 reads CloudWatch: [latest minute, the minute before], each container ->
    figure -> value (a view read just before a new minute landed shows the one before)."""
    family = task.task_definition.rsplit(":", 1)[0]
    queries: list[dict[str, Any]] = []
    names: dict[str, tuple[str, str]] = {}
    for container in task.containers:
        for figure, metric in FIGURES.items():
            query_id = f"q{len(queries)}"
            names[query_id] = (container.name, figure)
            dims = {"ClusterName": cluster, "TaskDefinitionFamily": family, "TaskId": task.id,
                    "ContainerName": container.name}  # fmt: skip
            queries.append({
                "Id": query_id,
                "MetricStat": {
                    "Metric": {"Namespace": "ECS/ContainerInsights", "MetricName": metric,
                               "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()]},
                    "Period": 60, "Stat": "Average",
                },
            })  # fmt: skip
    end = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    answer = cloudwatch.get_metric_data(
        MetricDataQueries=queries, StartTime=end - dt.timedelta(minutes=10), EndTime=end,
        ScanBy="TimestampDescending",
    )  # fmt: skip
    reads: list[dict[str, dict[str, float]]] = [{}, {}]
    for result in answer["MetricDataResults"]:
        container, figure = names[result["Id"]]
        for index, value in enumerate(result["Values"][:2]):
            reads[index].setdefault(container, {})[figure] = value
    return reads


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
        reads = cloudwatch_figures(cloudwatch, "app", screen.ecs_task)
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
            expected = [
                {figure: round(read[name][figure], 1) for figure in FIGURES}
                for read in reads
                if set(read.get(name, {})) == set(FIGURES)
            ]
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
