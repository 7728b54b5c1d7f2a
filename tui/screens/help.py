"""``?``: every key binding of every screen, as remapped by the user's keymap, with its id."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui import bindings
from tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from tui.dash import Dash

FILTER_HINT = "/ filters where offered; a filter starting with ! shows only what needs attention"
EXTRA = [
    ("ctrl+p", "Command palette: jump to any environment, cluster, service; actions; themes", "-"),
    ("ctrl+q", "Quit (always)", "-"),
    ("tab", "Next widget / tab", "-"),
    ("mouse", "Click cards, cells, tabs, host tiles; scroll with the wheel", "-"),
]


def help_table(keymap: dict[str, str]) -> Table:
    """Every binding by area: keys (after the keymap), what it does, its id."""
    table = Table(box=None, expand=True, show_header=True, header_style="bold", pad_edge=False)
    table.add_column("keys", style="bold cyan", no_wrap=True)
    table.add_column("does")
    table.add_column("id (for keymap.toml)", style="dim", no_wrap=True)
    for area, group in bindings.AREAS.items():
        table.add_row(Text(area, style="bold underline"), "", "")
        seen: set[str] = set()
        for binding in group:
            if binding.id in seen:
                continue
            seen.add(binding.id or "")
            keys = keymap.get(binding.id or "", binding.key_display or binding.key)
            table.add_row(
                keys.replace("question_mark", "?").replace("slash", "/"),
                binding.description,
                binding.id or "",
            )
        if area == "Everywhere":
            for keys, does, ident in EXTRA:
                table.add_row(keys, does, ident)
    return table


class HelpScreen(ReportsWorkerErrors, ModalScreen[None]):
    """The list of keys."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.HELP]

    def compose(self) -> ComposeResult:
        app = cast("Dash", self.app)
        with VerticalScroll(id="help", classes="dialog"):
            yield Static(
                Text(f"Keys (Esc closes) · {FILTER_HINT}", style="bold"),
                classes="dialog-title",
            )
            yield Static(help_table(app.keymap), id="help-table")

    def action_back(self) -> None:
        self.dismiss(None)
