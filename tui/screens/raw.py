"""The raw view (``y``): the selected resource as AWS described it, as JSON, secrets
redacted (``opskit.estate.raw``), for when the screens' summary is not enough."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rich.json import JSON
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import bindings
from tui.workers import ReportsWorkerErrors


def raw_json(data: Any) -> str:
    """``data`` as indented JSON (times as ISO text)."""
    return json.dumps(data, indent=2, default=str)


class RawScreen(ReportsWorkerErrors, ModalScreen[None]):
    """One resource's description, scrollable; Esc closes, ``c`` copies it."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.RAW]

    def __init__(self, title: str, data: Any) -> None:
        super().__init__()
        self.title_text = title
        self.text = raw_json(data)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="raw", classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), classes="dialog-title")
            yield Static(JSON(self.text), id="raw-json")

    def on_mount(self) -> None:
        self.query_one("#raw", VerticalScroll).focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.text)
        self.notify(f"copied {self.title_text} ({len(self.text)} characters)", timeout=3)

    def action_cancel(self) -> None:
        self.dismiss(None)
