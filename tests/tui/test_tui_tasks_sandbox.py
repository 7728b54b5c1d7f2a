"""The dashboard's cluster screen on the live sandbox: standalone tasks, schedules and
services behind their family's newest revision, as boto3 reads them (over HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from tui_pilot import loaded, until

from opskit.config import Config
from tui.app import OpskitApp
from tui.library import LibrarySource
from tui.screens.cluster import ClusterScreen
from tui.screens.environment import EnvironmentScreen
from tui.screens.overview import OverviewScreen
from tui.screens.task import TaskScreen
from tui.settings import Settings
from tui.widgets.keyed_table import KeyedTable

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
LONG = 3000


def cells(table: KeyedTable, key: str) -> list[str]:
    return [c if isinstance(c, str) else c.plain for c in table.get_row(key)]


async def test_cluster_screen_lists_standalone_tasks_schedules_and_revisions(
    config: Config, sandbox: Any, alice: Any
) -> None:
    ecs = alice.client("ecs", env="stage")
    arns = ecs.list_tasks(cluster="app")["taskArns"]
    standalone = {
        t["taskArn"].rsplit("/", 1)[-1]: t
        for t in ecs.describe_tasks(cluster="app", tasks=arns)["tasks"]
        if not t["group"].startswith("service:") and t["lastStatus"] == "RUNNING"
    }
    events = alice.client("events", env="stage")
    rules = [
        r["Name"]
        for r in events.list_rules()["Rules"]
        if any(
            t["Arn"].endswith(":cluster/app") and "EcsParameters" in t
            for t in events.list_targets_by_rule(Rule=r["Name"])["Targets"]
        )
    ]
    billing = ecs.describe_services(cluster="app", services=["billing"])["services"][0]
    running = billing["taskDefinition"].rsplit(":", 1)[1]
    latest = ecs.describe_task_definition(taskDefinition="billing")["taskDefinition"]["revision"]
    assert standalone and rules and int(running) < latest  # what the sandbox seeds

    settings = Settings.from_config(config, ("stage",))
    app = OpskitApp(config, LibrarySource(config), settings)
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("right", "e")  # the stage column: the picker offers it first
        await until(pilot, lambda: not isinstance(app.screen, OverviewScreen))
        await pilot.press("enter")
        assert isinstance(app.screen, EnvironmentScreen)
        await pilot.pause()
        clusters = app.screen.query_one("#clusters", KeyedTable)
        clusters.move_cursor(row=clusters.get_row_index("app"))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ClusterScreen))
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        table = screen.query_one("#standalone", KeyedTable)
        await until(pilot, lambda: table.row_count > 0, LONG)
        assert {str(k.value) for k in table.rows} == set(standalone)
        for task_id, raw in standalone.items():
            row = cells(table, task_id)
            assert row[:2] == [raw["startedBy"], raw["group"]]
        schedules = screen.query_one("#schedules", KeyedTable)
        assert {str(k.value) for k in schedules.rows} == {f"rule:{name}" for name in rules}
        services = screen.query_one("#services", KeyedTable)
        assert cells(services, "billing")[3] == f":{running} → :{latest}"
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TaskScreen))
        task_screen = app.screen
        assert isinstance(task_screen, TaskScreen)
        assert task_screen.ecs_task.standalone and task_screen.ecs_task.id in standalone
        assert not task_screen.check_action("logs", ())  # no service's containers to read
