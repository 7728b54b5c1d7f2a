"""Pilot tests on fixed data: every level of the drill-down, keys, filter, palette, help,
denied and failing environments, read-only sessions."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.command import CommandList
from textual.widgets import Log
from tui_fake import FakeSource
from tui_pilot import loaded, shown, until

from tui.app import OpskitApp
from tui.bindings import AREAS
from tui.screens.cluster import ClusterScreen
from tui.screens.environment import EnvironmentScreen
from tui.screens.feed import FeedScreen
from tui.screens.help import HelpScreen
from tui.screens.hosts import HostsScreen
from tui.screens.logs import LogsScreen
from tui.screens.overview import OverviewScreen
from tui.screens.service import ServiceScreen
from tui.screens.task import TaskScreen
from tui.widgets.env_card import EnvCard
from tui.widgets.estate_table import EstateTable
from tui.widgets.host_map import HostTile
from tui.widgets.keyed_table import KeyedTable

pytestmark = pytest.mark.anyio
AppFactory = Callable[..., OpskitApp]
DENIED = "bob may not enter {env} at access 'read' (role arn:aws:iam::0:role/opskit-read): denied"


def rows(table: EstateTable | KeyedTable) -> list[str]:
    return [str(key.value) for key in table.rows]


async def test_overview_shows_every_environment_and_service(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, OverviewScreen)
        assert [c.status.name for c in app.screen.query(EnvCard) if c.status] == [
            "dev",
            "stage",
            "prod",
        ]
        table = app.screen.query_one(EstateTable)
        assert rows(table)[:4] == ["c:api", "s:api/api", "s:api/api-worker", "s:api/tracking"]
        assert "s:app/integrations" in rows(table)
        assert [str(c.label) for c in table.columns.values()] == ["service", "dev", "stage", "prod"]
        crash = table.get_cell("s:app/integrations", "prod").plain
        assert "0/2" in crash and "crash" in crash
        assert "deploying" in table.get_cell("s:api/api", "stage").plain
        assert "unhealthy" in table.get_cell("s:app/app-web", "prod").plain
        assert app.estate.spend == {"dev": 412.0, "stage": 1380.5, "prod": 6420.0}


async def test_drill_down_every_level_and_back(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("right", "right", "right", "e")  # prod column: the picker offers it
        await until(pilot, lambda: not isinstance(app.screen, OverviewScreen))
        await pilot.press("enter")  # first
        assert isinstance(app.screen, EnvironmentScreen) and app.screen.env == "prod"
        await pilot.pause()
        clusters = app.screen.query_one("#clusters", KeyedTable)
        assert rows(clusters) == ["api", "cdn", "app"]
        await pilot.press("down", "down", "enter")  # app cluster
        assert isinstance(app.screen, ClusterScreen) and app.screen.cluster == "app"
        await pilot.pause()
        services = app.screen.query_one("#services", KeyedTable)
        assert rows(services) == ["app-jobs", "app-web", "billing", "integrations"]
        await pilot.press("down", "enter")  # app-web
        screen = app.screen
        assert isinstance(screen, ServiceScreen) and screen.service == "app-web"
        await until(pilot, lambda: screen.detail is not None)
        tasks = screen.query_one("#tasks", KeyedTable)
        assert len(rows(tasks)) == 4
        targets = screen.query_one("#targets", KeyedTable)
        assert any("unhealthy" in str(targets.get_row(k)) for k in rows(targets))
        await pilot.press("enter")  # the first task
        assert isinstance(app.screen, TaskScreen)
        await pilot.press("escape")
        assert app.screen is screen
        for expected in (ClusterScreen, EnvironmentScreen, OverviewScreen):
            await pilot.press("escape")
            assert isinstance(app.screen, expected)


async def test_a_stopped_task_shows_why(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "app", "integrations")
        await until(pilot, lambda: getattr(app.screen, "detail", None) is not None)
        await pilot.press("enter")
        assert isinstance(app.screen, TaskScreen)
        body = shown(app.screen.query_one("#task-body"))
        assert "essential-exit" in body and "Essential container in task exited" in body


async def test_hosts_map_shows_every_host_and_its_utilization(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("h")
        assert isinstance(app.screen, HostsScreen)
        await until(pilot, lambda: len(app.screen.query(HostTile)) == 24)
        screen = app.screen
        await until(pilot, lambda: screen.selected is not None)
        detail = shown(screen.query_one("#host-detail"))
        assert "t3.large" in detail or "m5.large" in detail
        await pilot.press("right")
        assert screen.selected is not None and screen.selected[2].endswith("-1")
        await pilot.press("c")
        assert all(t.metric == "memory" for t in screen.query(HostTile))


async def test_filter_narrows_the_matrix_and_escape_clears(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(EstateTable)
        await pilot.press("slash", *"web")
        assert rows(table) == ["c:app", "s:app/app-web"]
        await pilot.press("escape")
        assert len(rows(table)) == 11
        await pilot.press("slash", "!")  # only what needs attention
        assert rows(table) == ["c:app", "s:app/app-web", "s:app/integrations"]


async def test_help_lists_every_binding(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = shown(app.screen.query_one("#help-table"))
        for group in AREAS.values():
            for binding in group:
                assert binding.id and binding.id in text
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_keymap_remaps_a_binding_by_id(fake_app: AppFactory, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    keymap = tmp_path / "keymap.toml"
    keymap.write_text('[keys]\n"app.feed" = "F"\n"no.such" = "x"\n')
    monkeypatch.setenv("OPSKIT_TUI_KEYMAP", str(keymap))
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("F")
        assert isinstance(app.screen, FeedScreen)
        assert any("no.such" in n.message for n in app._notifications)


async def test_palette_jumps_to_a_service(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"service billing prod")
        await until(pilot, lambda: app.screen.query_one(CommandList).option_count > 0)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ServiceScreen))
        service = app.screen
        assert isinstance(service, ServiceScreen)
        assert service.env == "prod" and service.service == "billing"


async def test_feed_shows_journal_changes_and_ecs_events(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("f")
        table = app.screen.query_one("#feed", KeyedTable)
        keys = rows(table)
        assert {"change:c1", "change:c2", "change:c3"} <= set(keys)
        assert any(k.startswith("fold:prod:integrations") for k in keys)  # a crash loop, folded
        await pilot.press("slash", *"rolled")
        assert rows(table) == ["change:c2"]


async def test_logs_follow_and_filter(fake_app: AppFactory) -> None:
    app = fake_app(follow_seconds=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "api", "api")
        await pilot.press("l")
        screen = app.screen
        assert isinstance(screen, LogsScreen)
        await until(pilot, lambda: len(screen.lines) == 12)
        await pilot.press("slash", *"error", "enter")
        lines = list(screen.query_one("#log", Log).lines)
        assert len(lines) == 4 and all("ERROR" in line for line in lines)
        await pilot.press("space")
        assert not screen.following


async def test_denied_environments_show_why(fake_app: AppFactory) -> None:
    source = FakeSource(errors={e: DENIED.format(env=e) for e in ("stage", "prod")})
    app = fake_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        cards = {c.status.name: c for c in app.screen.query(EnvCard) if c.status}
        assert cards["stage"].has_class("-denied") and cards["prod"].has_class("-denied")
        assert "may not enter prod" in shown(cards["prod"])
        assert "updated" in shown(cards["dev"]) or "ago" in shown(cards["dev"])
        table = app.screen.query_one(EstateTable)
        assert table.get_cell("s:api/api", "prod").plain == "—"
        await pilot.press("right", "right", "right", "enter")  # a prod cell: refused with why
        assert isinstance(app.screen, OverviewScreen)
        assert any("may not enter prod" in n.message for n in app._notifications)


async def test_a_failing_environment_does_not_break_the_others(fake_app: AppFactory) -> None:
    source = FakeSource(raises={"stage": "stage: ecs.DescribeServices throttled past retries"})
    app = fake_app(source)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        stage = app.estate.env("stage")
        assert stage is not None and stage.error and "throttled" in stage.error
        card = app.screen.query_one("#env-stage", EnvCard)
        assert card.has_class("-error") and "throttled" in shown(card)
        table = app.screen.query_one(EstateTable)
        assert "1/1" in table.get_cell("s:api/api", "dev").plain
        assert "4/4" in table.get_cell("s:api/api", "prod").plain


async def test_read_only_hides_every_action(fake_app: AppFactory) -> None:
    app = fake_app(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "api", "api")
        await pilot.pause()
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert not shown & {"scale", "restart", "deploy", "rollback", "stop_task", "actions"}
        await pilot.press("s")
        assert isinstance(app.screen, ServiceScreen)
        assert app.source.planned == []  # type: ignore[attr-defined]
