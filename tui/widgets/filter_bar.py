"""The ``/`` filter: an input that appears on demand and posts ``FilterChanged``.

Enter keeps the filter and hands focus back; Esc clears it and hides the bar.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import BindingType
from textual.widgets import Input

from tui import bindings
from tui.messages import FilterChanged


class FilterBar(Input):
    """Hidden until ``open()``; its text is the screen's filter."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.FILTER_BAR]

    DEFAULT_CSS = """
    FilterBar { display: none; height: 3; }
    FilterBar.-open { display: block; }
    """

    def __init__(
        self, placeholder: str = "filter: name, cluster, tag (! = needs attention)"
    ) -> None:
        super().__init__(placeholder=placeholder, classes="filter-bar")
        self.can_focus = False  # only once opened: never the screen's first focus

    def open(self) -> None:
        self.add_class("-open")
        self.can_focus = True
        self.focus()

    @property
    def active(self) -> bool:
        return self.has_class("-open")

    def action_dismiss(self) -> None:
        self.value = ""
        self.remove_class("-open")
        self.can_focus = False
        self.post_message(FilterChanged(""))
        self.screen.focus_next()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(FilterChanged(event.value))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.value:
            self.remove_class("-open")
            self.can_focus = False
        self.screen.focus_next()
