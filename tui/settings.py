"""How this dashboard session runs: which environments, who, how often, read-only or not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opskit.config import Config
from opskit.errors import UsageError


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Settings:
    """The session's options; ``clock`` is injectable so tests never depend on the time."""

    envs: tuple[str, ...]
    user: str | None = None
    read_only: bool = False
    refresh_seconds: float = 5.0
    theme: str = "textual-dark"
    clock: Callable[[], dt.datetime] = utc_now
    spend_seconds: float = 600.0
    follow_seconds: float = 2.0
    detail_seconds: float | None = None  # service detail refresh (default: 15 s, tui.live)

    @classmethod
    def from_config(
        cls,
        config: Config,
        envs: Sequence[str] = (),
        *,
        user: str | None = None,
        read_only: bool = False,
        refresh: float | None = None,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> Settings:
        """Settings from the config and the command line; UsageError for unknown envs."""
        for name in envs:
            config.environment(name)
        wanted = set(envs)
        names = tuple(n for n in config.env_names() if not wanted or n in wanted)
        every = refresh if refresh is not None else config.tui.refresh_seconds
        if every <= 0:
            raise UsageError(f"--refresh {every:g}: give a number of seconds above 0")
        return cls(
            envs=names,
            user=user,
            read_only=read_only or config.changes.read_only,
            refresh_seconds=every,
            theme=config.tui.theme,
            clock=clock,
        )
