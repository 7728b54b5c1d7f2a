"""The one-line title: where you are (a breadcrumb) and which environments are shown."""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static


class TitleBar(Static):
    """``opskit › prod › app › app-web`` on the left, the environments on the right."""

    DEFAULT_CSS = """
    TitleBar { height: 1; background: $primary 30%; color: $text; padding: 0 1; }
    """

    crumbs: reactive[tuple[str, ...]] = reactive(())
    envs: reactive[tuple[tuple[str, str], ...]] = reactive(())  # (name, colour)

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("opskit", style="bold")
        for crumb in self.crumbs:
            text.append(" › ")
            text.append(crumb, style="bold")
        right = Text()
        for name, colour in self.envs:
            right.append(" ● ", style=colour)
            right.append(name)
        width = self.size.width - 2
        gap = width - text.cell_len - right.cell_len
        if gap > 1:
            text.append(" " * gap)
            text.append_text(right)
        return text
