"""The dashboard on the live sandbox: real reads, real changes through the engine, the
journal written, bob's denied environments, a slow environment not holding up the others.

One app per test drives several actions in a row (starting an app and reading the estate is
the slow part); every change made is undone at the end, so the session's sandbox is left
as it was found.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input
from tui_pilot import loaded, shown, until

from opskit.audit import Journal
from opskit.config import Config
from opskit.estate import TaskState
from tui.app import OpskitApp
from tui.library import LibrarySource
from tui.screens.ask import AskScreen
from tui.screens.environment import EnvironmentScreen
from tui.screens.plan import PlanScreen
from tui.screens.service import ServiceScreen
from tui.settings import Settings
from tui.widgets.env_card import EnvCard
from tui.widgets.estate_table import EstateTable
from tui.widgets.keyed_table import KeyedTable

pytestmark = [pytest.mark.anyio, pytest.mark.slow]
LONG = 3000  # pauses of 20 ms: a minute, for deploys to settle on a loaded machine


def live_app(config: Config, user: str | None = None, **options: Any) -> OpskitApp:
    settings = Settings.from_config(config, user=user, **options)
    return OpskitApp(config, LibrarySource(config, user), settings)


def journal(state_dir: Path, change_id: str) -> list[dict[str, Any]]:
    return [
        r for r in Journal(state_dir / "journal.jsonl").records() if r["change_id"] == change_id
    ]


async def act(
    pilot: Pilot[Any], key: str, answer: str | None = None, confirm: str | None = None
) -> PlanScreen:
    """Press an action key, answer its question, check the plan, (confirm,) apply, wait."""
    app = pilot.app
    await pilot.press(key)
    if answer is not None:
        await until(pilot, lambda: isinstance(app.screen, AskScreen))
        app.screen.query_one(Input).value = answer
        await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, PlanScreen), LONG)
    screen = app.screen
    assert isinstance(screen, PlanScreen)
    assert screen.plan.diffs, f"{screen.plan.summary}: nothing to change"
    apply = screen.query_one("#plan-apply", Button)
    if confirm is not None:
        assert apply.disabled  # a protected environment: nothing happens without the name
        await pilot.press(*"stage", "enter")  # the wrong name does nothing either
        assert apply.disabled and screen.outcome is None
        screen.query_one("#plan-confirm", Input).value = confirm
        await pilot.pause()
    assert not apply.disabled
    apply.press()
    await until(pilot, lambda: screen.outcome is not None, LONG)
    assert screen.outcome is not None
    assert screen.outcome.outcome == "applied", screen.outcome.detail
    assert "applied" in shown(screen.query_one("#plan-outcome"))
    await pilot.press("escape")
    return screen


def assert_journaled(state_dir: Path, plan: PlanScreen, app: OpskitApp) -> None:
    records = journal(state_dir, plan.plan.id)
    assert [r["type"] for r in records] == ["intent", "outcome"]
    assert records[-1]["outcome"] == "applied"
    assert all(r["how"]["front_end"] == "tui" for r in records)
    assert records[0]["what"]["diffs"] == [d.to_json() for d in plan.plan.diffs]


async def in_feed(pilot: Pilot[Any], change_id: str) -> None:
    app = pilot.app
    assert isinstance(app, OpskitApp)
    await until(pilot, lambda: any(e.plan_id == change_id for e in app.journal), LONG)


def tasks(screen: ServiceScreen) -> list[TaskState]:
    return list(screen.detail.tasks) if screen.detail else []


@pytest.fixture
def state_dir(sandbox: Any, opskit_state_dir: Path) -> Iterator[Path]:
    yield opskit_state_dir


async def test_every_service_action_in_dev(config: Config, state_dir: Path) -> None:
    app = live_app(config, refresh=3)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        app.open("service", "dev", "api", "tracking")
        screen = app.screen
        assert isinstance(screen, ServiceScreen)
        await until(pilot, lambda: screen.detail is not None, LONG)
        desired = screen.detail.desired if screen.detail else 1
        done = []
        done.append(await act(pilot, "s", str(desired + 1)))
        done.append(await act(pilot, "r"))
        done.append(await act(pilot, "d", "3.7.2"))
        done.append(await act(pilot, "b", ""))  # back to the previous revision
        before = screen.detail
        screen.reread()  # the rollout is over: read the tasks as they are now
        await until(pilot, lambda: screen.detail is not before, LONG)
        table = screen.query_one("#tasks", KeyedTable)
        running = next(t.id for t in tasks(screen) if t.desired_status == "RUNNING")
        table.move_cursor(row=table.get_row_index(running))
        done.append(await act(pilot, "x"))  # the task under the cursor
        done.append(await act(pilot, "s", str(desired)))
        kinds = [p.plan.change for p in done]
        assert kinds == ["scale", "restart", "deploy", "rollback", "stop-task", "scale"]
        for plan in done:
            assert_journaled(state_dir, plan, app)
        await in_feed(pilot, done[-1].plan.id)


async def test_draining_across_an_environment(config: Config, state_dir: Path) -> None:
    app = live_app(config, envs=("dev",))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("env", "dev")
        assert isinstance(app.screen, EnvironmentScreen)
        first = await act(pilot, "D", "120")
        before = {d.before for d in first.plan.diffs}
        assert len(first.plan.diffs) > 1 and {d.after for d in first.plan.diffs} == {120}
        assert len(before) == 1, before
        again = await act(pilot, "D", str(before.pop()))  # put it back
        for plan in (first, again):
            assert_journaled(state_dir, plan, app)


async def test_prod_needs_unlocking_then_the_typed_name(config: Config, state_dir: Path) -> None:
    app = live_app(config, envs=("prod",))
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.open("service", "prod", "app", "billing")
        screen = app.screen
        assert isinstance(screen, ServiceScreen)
        await until(pilot, lambda: screen.detail is not None, LONG)
        desired = screen.detail.desired if screen.detail else 2
        await pilot.press("s")  # read-only until unlocked: nothing opens
        assert app.screen is screen
        await pilot.press("ctrl+u")
        assert isinstance(app.screen, AskScreen)
        await pilot.press(*"prod", "enter")
        assert "prod" in app.unlocked
        up = await act(pilot, "s", str(desired + 1), confirm="prod")
        down = await act(pilot, "s", str(desired), confirm="prod")
        for plan in (up, down):
            assert_journaled(state_dir, plan, app)


async def test_bob_sees_stage_and_prod_denied_with_the_reason(config: Config, sandbox: Any) -> None:
    app = live_app(config, user="bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        for env in ("stage", "prod"):
            status = app.estate.env(env)
            assert status is not None and status.denied
            card = app.screen.query_one(f"#env-{env}", EnvCard)
            assert "denied" in shown(card) and "bob may not" in shown(card)
        dev = app.estate.env("dev")
        assert dev is not None and dev.state is not None and not dev.error
        table = app.screen.query_one(EstateTable)
        assert "/" in table.get_cell("s:api/api", "dev").plain


async def test_a_slow_environment_does_not_hold_up_the_others(
    config: Config, sandbox: Any, sandbox_faults: Any
) -> None:
    sandbox_faults.set(
        service="ecs",
        kind="latency",
        delay_ms=1500,
        account=config.environments["stage"].account_id,
    )
    app = live_app(config)
    async with app.run_test(size=(80, 24)) as pilot:
        names = ("dev", "prod")
        await until(pilot, lambda: all(app.estate.env(n).state for n in names), LONG)  # type: ignore[union-attr]
        stage = app.estate.env("stage")
        assert stage is not None and stage.loading and stage.state is None
        table = app.screen.query_one(EstateTable)
        assert table.get_cell("s:api/api", "stage").plain == "…"
        assert "/" in table.get_cell("s:api/api", "prod").plain
