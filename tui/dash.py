"""What screens may read of the app: its state, passed down; never its methods.

Screens and palette providers type the app as ``Dash`` instead of importing ``tui.app``, so
the app sits on top of its screens with no import cycle. Everything a screen wants done
(drill down, go back, plan a change, read a service in detail, fetch logs) goes up as a
message (``tui.messages``) that the app handles.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from opskit.audit import ChangeEntry
from opskit.config import Config
from tui.settings import Settings
from tui.state import EstateView


class Dash(Protocol):
    """The app's state as screens read it (attributes down)."""

    config: Config
    settings: Settings
    keymap: dict[str, str]
    estate: EstateView
    now: dt.datetime
    journal: tuple[ChangeEntry, ...]
    user: str
    error: str
    unlocked: frozenset[str]

    def change_block(self, env: str) -> str:
        """Why changes are refused in ``env`` right now ("" when they are allowed)."""
        ...

    def mode_text(self, env: str | None = None) -> str:
        """The status line's mode for ``env`` (read-only, locked, unlocked…)."""
        ...
