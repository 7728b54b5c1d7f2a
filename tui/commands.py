"""Command palette providers (ctrl+p): one for moving around the estate, one for actions.

``EstateCommands`` jumps to any environment, cluster, service or host map; ``ChangeCommands``
offers refresh, the feed, help, and unlocking a protected environment for the session.
Themes come from Textual's own system commands.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.messages import Navigate, UnlockWanted

if TYPE_CHECKING:
    from tui.dash import Dash

Command = tuple[str, Callable[[], object], str]


class _Commands(Provider):
    """Search and discovery over a list of (text, callback, help)."""

    @property
    def dash(self) -> Dash:
        return cast("Dash", self.app)

    def go(self, kind: str, env: str, cluster: str = "", service: str = "") -> Callable[[], object]:
        """A callback that asks the app to open a screen (a message up, never a call)."""
        return partial(self.app.post_message, Navigate(kind, env, cluster, service))

    def act(self, action: str) -> Callable[[], object]:
        """A callback that runs one of the app's actions by name, as a key binding does."""
        return partial(self.app.run_action, action)

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
            yield f"env {env}", self.go("env", env), "open the environment"
            yield f"hosts {env}", self.go("hosts", env), "the host map"
            names = Counter(s.name for c in status.clusters for s in c.services)
            for cluster in status.clusters:
                yield (
                    f"cluster {cluster.name} {env}",
                    self.go("cluster", env, cluster.name),
                    f"{cluster.concern}: services and hosts",
                )
                for service in cluster.services:
                    # one name in two clusters: each by its address, as the CLI takes it
                    address = service.name
                    if names[service.name] > 1:
                        address = f"{cluster.name}/{service.name}"
                    yield (
                        f"service {address} {env}",
                        self.go("service", env, cluster.name, service.name),
                        f"{service.running}/{service.desired} tasks in {cluster.name}",
                    )


class ChangeCommands(_Commands):
    """Refresh, feed, help, and unlocking protected environments."""

    def commands(self) -> Iterator[Command]:
        app = self.dash
        yield "refresh now", self.act("refresh_now"), "read every environment again"
        yield "change feed", self.act("feed"), "journal changes and ECS events"
        yield "hosts (all environments)", self.go("hosts", ""), "the host map"
        yield "help: keys", self.act("help"), "every binding and its id"
        if app.settings.read_only:
            return
        for env in app.settings.envs:
            if app.config.environments[env].protected:
                verb = "lock" if env in app.unlocked else "unlock"
                yield (
                    f"{verb} {env} for this session",
                    partial(self.app.post_message, UnlockWanted(env)),
                    "allow (or stop allowing) changes in a protected environment",
                )
