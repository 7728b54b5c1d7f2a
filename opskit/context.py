"""What the composition root hands every service: the ``Workspace`` (and its ``Clock``).

Services (changes, estate, costs, runbooks) are handed one; they never open one, so this
module knows nothing of how it is built (``opskit.workspace`` does that: config, login,
accounts, the sandbox's clock, the notifiers and metric sources of optional features).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from opskit.config import Config

if TYPE_CHECKING:
    from opskit.accounts import Accounts

Progress = Callable[[str], None]


class Notifier(Protocol):
    """Told about every change once its outcome is journaled (``opskit.changes.Notifier``)."""

    def notify(self, notice: Any) -> None:
        """Tell the outside world about a change notice."""
        ...


NotifierFactory = Callable[[Progress | None], Sequence[Notifier]]


class CapacityRates(Protocol):
    """What compute costs in an environment (``opskit.costs.rates``), for plans' cost notes.

    ``rates(env)`` answers ``(USD per vCPU-hour, USD per GB-hour, "YYYY-MM")`` from the last
    complete month's bill, or one line saying why it cannot (a plan never fails for it).
    """

    def rates(self, env: str) -> tuple[float, float, str] | str: ...


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Clock:
    """The time services wait by. ``factor`` says how much faster than the wall clock it
    runs (the sandbox's simulator runs ``[sandbox] time_factor`` times faster; AWS: 1)."""

    factor: float = 1.0
    now: Callable[[], dt.datetime] = _utc_now
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic


def _no_notifiers(progress: Progress | None) -> Sequence[Notifier]:
    return ()


@dataclass
class Workspace:
    """Everything a front end needs to act: the config, the accounts, where state lives,
    the clock, and the notifiers the composition root registered."""

    config: Config
    accounts: Accounts
    state_dir: Path
    front_end: str = "cli"
    user: str | None = None
    clock: Clock = field(default_factory=Clock)
    notifiers: NotifierFactory = _no_notifiers
    capacity_rates: CapacityRates | None = None

    @property
    def journal_path(self) -> Path:
        return journal_path(self.config, self.state_dir)


def journal_path(config: Config, state: Path) -> Path:
    """The audit journal: ``[audit] journal`` (relative to the config), else in ``state``."""
    named = config.audit.journal
    if named:
        path = Path(named).expanduser()
        return path if path.is_absolute() else config.path.parent / path
    return state / "journal.jsonl"
