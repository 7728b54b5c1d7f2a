"""The dashboard offers promote: the service view's action and key, and the change it asks for."""

from __future__ import annotations

from opskit.changes.promote import PromoteChange
from opskit.config import Config
from tui import bindings
from tui.library import LibrarySource
from tui.screens.service import ACTIONS, MENU
from tui.source import ActionKind, ActionRequest


def test_promote_from_the_service_view_asks_the_engine_for_a_promotion(config: Config) -> None:
    source = LibrarySource(config, "alice")
    request = ActionRequest(ActionKind.promote, "prod", "api", "api", {"source": "stage"})
    assert source.change(request) == PromoteChange("stage", "prod", ("api",))
    assert "promote" in ACTIONS and ("promote", "p") in [(a, k) for a, k, _ in MENU]
    keys = {b.action: b.key for b in bindings.SERVICE}
    assert keys["promote"] == "P"  # shift: p is the previous run's logs
    assert len({b.key for b in bindings.SERVICE}) == len(bindings.SERVICE)  # no key taken twice
