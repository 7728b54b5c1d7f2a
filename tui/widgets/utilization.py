"""CPU and memory over the last hour: two labelled sparklines for a cluster, service or host.

Drawn with ``tui.format.spark`` (like every sparkline on the dashboard): scaled over at
least ten points, so a steady 11 % reads as steady, not as a wall of noise.
"""

from __future__ import annotations

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from opskit.estate import Series, Utilization
from tui.format import level, pct, spark

LABEL = 20


class UtilizationPanel(Static):
    """Set ``utilization``; shows latest, peak and the hour for CPU and memory."""

    DEFAULT_CSS = """
    UtilizationPanel { height: 2; text-wrap: nowrap; }
    """

    utilization: reactive[Utilization | None] = reactive(None)

    def render(self) -> Text:
        util = self.utilization or Utilization()
        width = max(4, self.size.width - LABEL - 1)
        text = Text(no_wrap=True)
        self._line(text, "cpu", util.cpu, width)
        text.append("\n")
        self._line(text, "mem", util.memory, width)
        return text

    @staticmethod
    def _line(text: Text, label: str, series: Series | None, width: int) -> None:
        latest = series.latest if series else None
        text.append(f"{label} ", style="bold")
        text.append(f"{pct(latest):>4}", style=level(latest))
        text.append(f" peak {pct(series.peak if series else None):>4}  ", style="dim")
        values = series.values if series else ()
        text.append(spark(values, min(width, len(values)) or width), style=level(latest))
