"""The actions menu (``a``): every change offered here, with its key, for mouse and memory.

Dismisses with the chosen action's name (e.g. ``scale``) or None.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui import bindings
from tui.workers import ReportsWorkerErrors


class MenuScreen(ReportsWorkerErrors, ModalScreen[str | None]):
    """Pick one of ``items``: (action, key, description)."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.MENU]

    def __init__(self, title: str, items: Sequence[tuple[str, str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.items = list(items)

    def compose(self) -> ComposeResult:
        with Vertical(id="menu", classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), classes="dialog-title")
            yield OptionList(
                *(
                    Option(Text.assemble((f" {key} ", "bold reverse"), f"  {text}"), id=action)
                    for action, key, text in self.items
                ),
                id="menu-options",
            )

    def on_key(self, event: events.Key) -> None:
        """An item's own key picks it (``a`` then ``s``), as the menu shows."""
        for action, key, _ in self.items:
            if event.key in key.split(","):
                event.stop()
                self.dismiss(action)
                return

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
