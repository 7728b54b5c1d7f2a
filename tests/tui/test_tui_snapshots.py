"""Snapshot tests of the main screens on fixed data (no clocks, no AWS), at 80×24 and on a
large terminal. Update with ``pytest tests/tui --snapshot-update`` after checking the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from tui_fake import FakeSource
from tui_pilot import build_app, loaded, until

from opskit.config import Config
from tui.app import OpskitApp
from tui.screens.feed import FeedScreen
from tui.screens.help import HelpScreen
from tui.screens.hosts import HostsScreen
from tui.screens.plan import PlanScreen
from tui.screens.service import ServiceScreen

SMALL = (80, 24)
LARGE = (160, 50)
DENIED = "bob may not enter {env} at access 'read' (role arn:aws:iam::0:role/opskit-read)"
Step = Callable[[Pilot[Any]], Awaitable[None]]


async def overview(pilot: Pilot[Any]) -> None:
    await loaded(pilot)


async def service(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = pilot.app
    assert isinstance(app, OpskitApp)
    app.open("service", "prod", "app", "app-web")
    await until(
        pilot, lambda: isinstance(app.screen, ServiceScreen) and app.screen.detail is not None
    )
    await pilot.press("right", "right", "right")  # the Targets tab (with the unhealthy one)
    await pilot.press("left", "left", "left")


async def hosts(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await pilot.press("h")
    app = pilot.app
    await until(
        pilot, lambda: isinstance(app.screen, HostsScreen) and app.screen.selected is not None
    )


async def feed(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await pilot.press("f")
    await until(pilot, lambda: isinstance(pilot.app.screen, FeedScreen))
    await pilot.pause(0.3)


async def help_screen(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    await pilot.press("question_mark")
    await until(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
    await pilot.pause(0.3)  # the long table lays out and its scrollbar settles


async def plan(pilot: Pilot[Any]) -> None:
    await loaded(pilot)
    app = pilot.app
    assert isinstance(app, OpskitApp)
    app.open("service", "dev", "api", "api")
    await until(
        pilot, lambda: isinstance(app.screen, ServiceScreen) and app.screen.detail is not None
    )
    await pilot.press("s", "backspace", "3", "enter")
    await until(pilot, lambda: isinstance(app.screen, PlanScreen))

    def quiet() -> bool:
        """No toast left: the "planning…" one may be drawn on the new screen after a clear."""
        app.clear_notifications()
        return not app.screen.query("Toast")

    await until(pilot, quiet)


SCREENS: dict[str, Step] = {
    "overview": overview,
    "service": service,
    "hosts": hosts,
    "feed": feed,
    "help": help_screen,
    "plan": plan,
}


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "160x50"])
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(name: str, size: tuple[int, int], config: Config, snap_compare: Any) -> None:
    app = build_app(config)
    assert snap_compare(app, terminal_size=size, run_before=SCREENS[name])


def test_overview_for_bob(config: Config, snap_compare: Any) -> None:
    source = FakeSource(errors={e: DENIED.format(env=e) for e in ("stage", "prod")})
    assert snap_compare(build_app(config, source), terminal_size=SMALL, run_before=overview)
