"""Pilot tests on fixed data for the screens of issue 14: keys that work where the README
says (the actions menu's letters, ``e``'s picker, ``l``), refusals that say why, the plan
dialog at 80x24."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import pytest
import tui_sample as sample
from tui_fake import FakeSource, journal_records
from tui_pilot import loaded, until

from opskit.audit import ChangeEntry, changes
from opskit.changes.plan import Diff, Plan
from opskit.estate import ServiceEvent
from opskit.estate.model import DnsRecord
from tui.app import OpskitApp
from tui.feed import folded_events
from tui.records import record_text
from tui.screens.ask import AskScreen
from tui.screens.cluster import ClusterScreen
from tui.screens.environment import EnvironmentScreen
from tui.screens.feed import FeedScreen
from tui.screens.logs import LogsScreen
from tui.screens.menu import MenuScreen
from tui.screens.plan import PlanScreen
from tui.screens.service import ServiceScreen
from tui.source import ActionKind, ActionRequest
from tui.widgets.estate_table import EstateTable
from tui.widgets.keyed_table import KeyedTable

pytestmark = pytest.mark.anyio
AppFactory = Callable[..., OpskitApp]


def on_screen(app: OpskitApp) -> list[str]:
    """The terminal's lines as drawn now (the modal over the screen beneath)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def notes(app: OpskitApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_the_actions_menu_letters_pick_the_action(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "api", "api")
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, MenuScreen))
        await pilot.press("s")
        await until(pilot, lambda: isinstance(app.screen, AskScreen))
        assert "Scale api in dev" in app.screen.title_text  # type: ignore[attr-defined]
        await pilot.press("escape", "a")
        await until(pilot, lambda: isinstance(app.screen, MenuScreen))
        await pilot.press("r")  # restart asks nothing: straight to the plan
        await until(pilot, lambda: isinstance(app.screen, PlanScreen))
        assert [r.kind for r in app.source.planned] == [ActionKind.restart]  # type: ignore[attr-defined]


async def test_a_refused_key_says_why(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.open("service", "prod", "api", "api")
        await pilot.press("s")
        assert isinstance(app.screen, ServiceScreen)
        assert any("prod is locked: ctrl+u" in n for n in notes(app)), notes(app)
        assert app.source.planned == []  # type: ignore[attr-defined]


async def test_a_read_only_session_says_so(fake_app: AppFactory) -> None:
    app = fake_app(read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "api", "api")
        await pilot.press("a")
        assert isinstance(app.screen, ServiceScreen)
        assert any("read-only session" in n for n in notes(app)), notes(app)


async def test_e_offers_every_environment(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("e")
        await until(pilot, lambda: isinstance(app.screen, MenuScreen))
        menu = app.screen
        assert isinstance(menu, MenuScreen)
        assert [item[0] for item in menu.items] == ["dev", "stage", "prod"]
        await pilot.press("3")
        await until(pilot, lambda: isinstance(app.screen, EnvironmentScreen))
        assert app.screen.env == "prod"  # type: ignore[attr-defined]


async def test_l_opens_logs_where_the_readme_says(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        table = app.screen.query_one(EstateTable)
        table.move_cursor(row=table.get_row_index("s:api/tracking"), column=2)  # stage
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        logs = app.screen
        assert isinstance(logs, LogsScreen)
        assert (logs.env, logs.service, logs.task_id) == ("stage", "tracking", None)
        await pilot.press("escape")
        app.open("cluster", "dev", "app")
        await until(pilot, lambda: isinstance(app.screen, ClusterScreen))
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
        assert app.screen.env == "dev" and app.screen.service  # type: ignore[attr-defined]


async def test_the_plan_keeps_after_values_and_buttons_in_view(fake_app: AppFactory) -> None:
    app = fake_app()
    long_after = "registry.example.com/team/api@sha256:" + "ab12" * 16
    diffs = tuple(
        Diff(f"prod/ecs/service/api/svc{i}", "image:api", f"repo/svc{i}:1.0.{i}", long_after)
        for i in range(12)
    )
    plan = Plan(
        "deploy",
        "deploy 12 services",
        "prod",
        "444444444444",
        "eu-west-1",
        "deploy",
        diffs,
        notes=("no soak evidence",),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        app.push_screen(PlanScreen(ActionRequest(ActionKind.deploy, "prod"), plan, True))
        await pilot.pause(0.3)
        text = "\n".join(on_screen(app))
        assert "svc0" in text and "1.0.0" in text and "api@sha256:ab12ab12ab12" in text
        assert "no soak evidence" in text
        assert "deploy 12 services" in text  # the title stays while the diffs scroll
        assert "type its name to apply" in text and "Apply" in text and "Cancel" in text


async def test_target_groups_show_their_draining_timeout(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("env", "dev")
        screen = app.screen
        assert isinstance(screen, EnvironmentScreen)
        await until(pilot, lambda: bool(screen.detailed))
        table = screen.query_one("#tgs", KeyedTable)
        draining = {str(table.get_row(k)[0]): str(table.get_row(k)[4]) for k in table.rows}
        assert draining and set(draining.values()) == {"300s"}, draining


def test_dns_values_read_as_text() -> None:
    zone = "dev.acme.internal"
    soa = DnsRecord(
        zone, zone, "SOA",
        ("ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400",),
    )  # fmt: skip
    assert record_text(soa) == (
        "ns-2048.awsdns-64.com, awsdns-hostmaster.amazon.com, serial 1, refresh 7200s, "
        "retry 900s, expire 1209600s, min ttl 86400s"
    )
    ns = DnsRecord(zone, zone, "NS", ("ns-1.awsdns-1.com.", "ns-2.awsdns-2.net."))
    assert record_text(ns) == "ns-1.awsdns-1.com, ns-2.awsdns-2.net"
    txt = DnsRecord(zone, f"x.{zone}", "TXT", ('"v=spf1 include:a" "ws.example ~all"',))
    assert record_text(txt) == "v=spf1 include:aws.example ~all"
    alias = DnsRecord(zone, f"api.{zone}", "A", (), "dualstack.dev-api-1.elb.amazonaws.com.")
    assert record_text(alias) == "dev-api-1.elb.amazonaws.com"
    assert record_text(DnsRecord(zone, f"api.{zone}", "A", (), "x", load_balancer="dev-api")) == (
        "dev-api"
    )


class OldJournal(FakeSource):
    """The fixed journal plus a change two days back: the feed spans days."""

    def changes(self, limit: int) -> Sequence[ChangeEntry]:
        old = dt.timedelta(days=2)
        records = []
        for record in journal_records()[:2]:
            at = dt.datetime.fromisoformat(record["at"].replace("Z", "+00:00")) - old
            stamp = at.isoformat().replace("+00:00", "Z")
            records.append({**record, "change_id": "c0", "at": stamp})
        return changes(records + journal_records())[-limit:]


async def test_the_feed_pins_changes_dates_days_and_filters_by_change(
    fake_app: AppFactory,
) -> None:
    app = fake_app(OldJournal())
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FeedScreen))
        table = app.screen.query_one("#feed", KeyedTable)
        await until(pilot, lambda: table.row_count > 0)
        keys = [str(k.value) for k in table.rows]
        kinds = [str(table.get_row(k)[2]) for k in keys]
        pinned = ["change:c3", "change:c2", "change:c1"]  # the last day's, newest first
        assert keys[:3] == pinned, keys
        assert kinds[3] == "event" and "change:c0" in keys[3:]  # two days old: by its time
        assert (
            str(table.get_row("change:c0")[0]) == "02-28 13:41:00"
        )  # its outcome, 49 min before NOW, 2 days back
        assert str(table.get_row("change:c3")[0]) == "03-02 14:20:00"
        await pilot.press("slash", *"change", "enter")
        await pilot.pause()
        kept = [str(k.value) for k in table.rows]
        assert sorted(kept) == ["change:c0", *sorted(pinned)], kept


def test_a_crash_loop_folds_into_one_line_per_kind_of_event() -> None:
    start = sample.NOW - dt.timedelta(minutes=30)
    events = [
        ServiceEvent(
            start + dt.timedelta(minutes=2 * i),
            f"(service integrations) has started 1 tasks: (task {i:08x}-aaaa-bbbb).",
        )
        for i in range(12)
    ]
    unable = "(service integrations) is unable to consistently start tasks successfully."
    events.append(ServiceEvent(start + dt.timedelta(minutes=1), unable))
    events.sort(key=lambda e: e.at or start, reverse=True)  # ECS lists the newest first
    items = folded_events("prod", "integrations", events)
    texts = [i.text for i in items]
    assert texts[0] == "has started 1 tasks: (task 0000000b).  ×12 since 14:00:00", texts
    assert texts[1:] == ["is unable to consistently start tasks successfully."]
    assert items[1].at == start + dt.timedelta(minutes=1)
    assert len({i.key for i in items}) == 2


async def test_the_feed_folds_the_crash_looping_service(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FeedScreen))
        table = app.screen.query_one("#feed", KeyedTable)
        await until(pilot, lambda: table.row_count > 0)
        folded = [str(k.value) for k in table.rows if str(k.value).startswith("fold:")]
        assert folded and all(":integrations:" in key for key in folded)


async def test_any_column_sorts_and_the_sort_survives_a_refresh(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("cluster", "prod", "app")
        await until(pilot, lambda: isinstance(app.screen, ClusterScreen))
        table = app.screen.query_one("#services", KeyedTable)
        await until(pilot, lambda: table.row_count == 4)
        given = [str(k.value) for k in table.rows]
        await pilot.press("o", "O")  # by service name, then reversed
        names = [str(k.value) for k in table.rows]
        assert names == sorted(given, reverse=True)
        cpu = [str(c.label) for c in table.columns.values()].index("cpu")
        table.sort_by(cpu)
        cells = [str(table.get_row(k)[cpu]) for k in table.rows]
        values = [float(c.rstrip("%")) for c in cells]
        assert values == sorted(values), cells
        screen = app.screen
        assert isinstance(screen, ClusterScreen)
        screen.show(app.estate)  # a refresh keeps the order
        assert [str(table.get_row(k)[cpu]) for k in table.rows] == cells
        assert "▲" in str(table.ordered_columns[cpu].label)


async def test_c_copies_the_id_under_the_cursor(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "api", "api")
        screen = app.screen
        assert isinstance(screen, ServiceScreen)
        await until(pilot, lambda: screen.detail is not None)
        expected = screen.detail.tasks[0].id if screen.detail else ""
        await pilot.press("c")
        assert app.clipboard == expected and expected
        assert any(f"copied {expected}" in n for n in notes(app))


async def test_stopped_tasks_show_their_exit_codes(fake_app: AppFactory) -> None:
    app = fake_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "app", "integrations")
        screen = app.screen
        assert isinstance(screen, ServiceScreen)
        await until(pilot, lambda: screen.detail is not None)
        table = screen.query_one("#tasks", KeyedTable)
        stopped = [t for t in screen.detail.tasks if t.last_status == "STOPPED"]  # type: ignore[union-attr]
        assert stopped
        for task in stopped:
            codes = {c.exit_code for c in task.containers if c.exit_code is not None}
            why = str(table.get_row(task.id)[-1])
            assert why.startswith(f"exit {codes.pop()} · "), why
