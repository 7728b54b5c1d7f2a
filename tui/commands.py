"""Command palette providers (ctrl+p): one for moving around the estate, one for actions.

``EstateCommands`` jumps to any environment, cluster, service or host map; ``ChangeCommands``
offers refresh, the feed, help, and unlocking a protected environment for the session.
Themes come from Textual's own system commands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from tui.app import OpskitApp

Command = tuple[str, Callable[[], object], str]


class _Commands(Provider):
    """Search and discovery over a list of (text, callback, help)."""

    @property
    def dash(self) -> OpskitApp:
        return cast("OpskitApp", self.app)

    def commands(self) -> Iterator[Command]:
        return iter(())

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, help_text in self.commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, text=text, help=help_text)

    async def discover(self) -> Hits:
        for text, callback, help_text in self.commands():
            yield DiscoveryHit(text, callback, text=text, help=help_text)


class EstateCommands(_Commands):
    """Go to an environment, cluster, service or host map."""

    def commands(self) -> Iterator[Command]:
        app = self.dash
        for status in app.estate.envs:
            env = status.name
            yield f"env {env}", partial(app.open, "env", env), "open the environment"
            yield f"hosts {env}", partial(app.open, "hosts", env), "the host map"
            for cluster in status.clusters:
                yield (
                    f"cluster {cluster.name} {env}",
                    partial(app.open, "cluster", env, cluster.name),
                    f"{cluster.concern}: services and hosts",
                )
                for service in cluster.services:
                    yield (
                        f"service {service.name} {env}",
                        partial(app.open, "service", env, cluster.name, service.name),
                        f"{service.running}/{service.desired} tasks in {cluster.name}",
                    )


class ChangeCommands(_Commands):
    """Refresh, feed, help, and unlocking protected environments."""

    def commands(self) -> Iterator[Command]:
        app = self.dash
        yield "refresh now", app.action_refresh_now, "read every environment again"
        yield "change feed", app.action_feed, "journal changes and ECS events"
        yield "hosts (all environments)", partial(app.open, "hosts", ""), "the host map"
        yield "help: keys", app.action_help, "every binding and its id"
        if app.settings.read_only:
            return
        for env in app.settings.envs:
            if app.config.environments[env].protected:
                verb = "lock" if env in app.unlocked else "unlock"
                yield (
                    f"{verb} {env} for this session",
                    partial(app.unlock, env),
                    "allow (or stop allowing) changes in a protected environment",
                )
