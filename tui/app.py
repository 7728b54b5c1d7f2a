"""The opskit dashboard: every environment the user may enter, side by side, live.

The app owns the session: it connects in a worker (the first frame shows at once), then
refreshes each environment in its own thread worker so a slow or failing account never
holds up the others. Results arrive as messages and replace ``estate`` (an immutable
``EstateView``) which screens watch: attributes down, messages up. Changes go through
``request_change`` -> plan worker -> plan modal -> apply worker -> the feed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from functools import partial
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import BindingType
from textual.reactive import var
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from opskit.audit import ChangeEntry
from opskit.changes.plan import Plan
from opskit.config import Config
from opskit.errors import OpskitError
from opskit.estate import ContainerMetrics, EnvironmentState, ServiceState, TargetGroupState
from tui import bindings
from tui.commands import ChangeCommands, EstateCommands
from tui.first_reads import FirstReads
from tui.keymap import load_keymap
from tui.messages import (
    ApplyRequested,
    ChangeDone,
    ChangeProgress,
    ChangeRequested,
    Connected,
    ContainersArrived,
    ContainersWanted,
    DetailArrived,
    DetailWanted,
    EnvArrived,
    EnvFailed,
    GoBack,
    JournalArrived,
    LogsArrived,
    LogsWanted,
    Navigate,
    PlanReady,
    RawWanted,
    SpendArrived,
    TargetsArrived,
    TargetsWanted,
    UnlockWanted,
)
from tui.screens.overview import OverviewScreen
from tui.screens.plan import PlanScreen
from tui.settings import Settings
from tui.source import ActionRequest, LogBatch, Outcome, Source
from tui.state import EstateView
from tui.theme import THEMES
from tui.workers import ReportsWorkerErrors, describe

COALESCE_SECONDS = 1.0  # later reads arriving within this are drawn together
ERROR_SECONDS = 60.0  # how long a worker's error stays on the status bar
HIDDEN_SECONDS = 30.0  # environments the current screen does not show refresh this often
JOURNAL_SECONDS = 15.0  # the journal (others' changes) is re-read this often


class OpskitApp(ReportsWorkerErrors, App[int]):
    """``opskit tui``."""

    TITLE = "opskit"
    CSS_PATH = "styles/app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [*bindings.APP]
    COMMANDS = App.COMMANDS | {EstateCommands, ChangeCommands}

    estate: var[EstateView] = var(EstateView(()), always_update=True, init=False)
    now: var[dt.datetime] = var(dt.datetime.min.replace(tzinfo=dt.UTC), init=False)
    journal: var[tuple[ChangeEntry, ...]] = var((), init=False)
    user: var[str] = var("connecting…", init=False)
    error: var[str] = var("", init=False)
    unlocked: var[frozenset[str]] = var(frozenset(), init=False)

    def __init__(self, config: Config, source: Source, settings: Settings) -> None:
        super().__init__()
        self.config = config
        self.source = source
        self.settings = settings
        self.outcomes: list[tuple[Plan, Outcome]] = []  # this session's changes, for the feed
        self._inflight: set[str] = set()
        self._read_at: dict[str, float] = {}  # env (or "journal") -> when its last read began
        self._pending: EstateView | None = None
        self._pending_timer: Timer | None = None
        self._first_reads = FirstReads(settings.envs)
        self.keymap: dict[str, str] = {}
        self.set_reactive(OpskitApp.estate, EstateView.empty(config, list(settings.envs)))
        self.set_reactive(OpskitApp.now, settings.clock())

    # -- start -----------------------------------------------------------------------

    def get_default_screen(self) -> OverviewScreen:
        return OverviewScreen()

    def on_mount(self) -> None:
        for theme in THEMES:
            self.register_theme(theme)
        if self.settings.theme in self.available_themes:
            self.theme = self.settings.theme
        keymap, problems = load_keymap()
        if keymap:
            self.keymap = keymap
            self.set_keymap(keymap)
        for problem in problems:
            self.notify(problem, severity="warning")
        self.set_interval(1.0, self._tick)
        self.connect()

    @work(thread=True, exclusive=True, exit_on_error=False, group="connect", description="login")
    def connect(self) -> None:
        self.post_message(Connected(self.source.connect()))

    def on_connected(self, message: Connected) -> None:
        self.user = message.user
        self.refresh_estate()
        self.set_interval(self.settings.refresh_seconds, self.refresh_estate)
        self.load_spend()
        self.set_interval(self.settings.spend_seconds, self.load_spend)

    def _tick(self) -> None:
        self.now = self.settings.clock()

    # -- refresh ---------------------------------------------------------------------

    def refresh_estate(self, everything: bool = False) -> None:
        """Start a read of every environment not already being read, and the journal.

        Environments the current screen does not show (another environment's screen is
        open) are read every ``HIDDEN_SECONDS`` only; ``everything`` reads them all now."""
        if self.user == "connecting…":
            return
        now = time.monotonic()
        shown = getattr(self.screen, "env", None)
        for env in self.settings.envs:
            hidden = shown is not None and env != shown
            if env in self._inflight or (
                hidden and not everything and now - self._read_at.get(env, -1e9) < HIDDEN_SECONDS
            ):
                continue
            self._inflight.add(env)
            self._read_at[env] = now
            self.run_worker(
                partial(self._read_env, env),
                name=f"refresh-{env}",
                group=f"refresh-{env}",
                description=f"refresh {env}",
                thread=True,
                exclusive=True,
                exit_on_error=False,
            )
        if everything or now - self._read_at.get("journal", -1e9) >= JOURNAL_SECONDS:
            self._read_at["journal"] = now
            self.load_journal()

    def _read_env(self, env: str) -> None:
        for _ in range(2):  # a staged first read (services first) is completed at once
            try:
                snapshot = self.source.overview(env)
            except OpskitError as error:
                self.post_message(EnvFailed(env, str(error)))
                return
            finally:
                self._first_reads.done(env)
            self.post_message(EnvArrived(env, snapshot, self.source.api_calls()))
            if not self.source.partial(env):
                return
            self._first_reads.wait()  # completed once every first frame is in

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.name.startswith("refresh-") and event.state in (
            WorkerState.SUCCESS,
            WorkerState.ERROR,
            WorkerState.CANCELLED,
        ):
            self._inflight.discard(event.worker.name.removeprefix("refresh-"))

    def on_env_arrived(self, message: EnvArrived) -> None:
        self._update(lambda view: view.arrived(message.snapshot, message.api_calls))

    def on_env_failed(self, message: EnvFailed) -> None:
        self._update(lambda view: view.failed(message.env, message.error))

    def _update(self, change: Callable[[EstateView], EstateView], now: bool = False) -> None:
        """Apply ``change`` to the view; environments arriving close together are shown
        in one go (one redraw instead of one per environment)."""
        before = self._pending or self.estate
        self._pending = change(before)
        pairs = zip(before.envs, self._pending.envs, strict=True)
        first = any(old.loading and not new.loading for old, new in pairs)
        if now or first:  # an environment's first data: show it now (the screen fills)
            self._show_pending()
        elif self._pending_timer is None:
            self._pending_timer = self.set_timer(COALESCE_SECONDS, self._show_pending)

    def _show_pending(self) -> None:
        if self._pending_timer is not None:
            self._pending_timer.stop()
            self._pending_timer = None
        if self._pending is not None:
            self.estate, self._pending = self._pending, None

    @work(thread=True, exclusive=True, exit_on_error=False, group="spend", description="spend")
    def load_spend(self) -> None:
        spend = self.source.spend()
        if spend is not None:
            self.post_message(SpendArrived(spend))

    def on_spend_arrived(self, message: SpendArrived) -> None:
        spend = dict(message.spend)
        self._update(lambda view: dataclasses.replace(view, spend=spend), now=True)

    @work(thread=True, exclusive=True, exit_on_error=False, group="journal", description="journal")
    def load_journal(self) -> None:
        self.post_message(JournalArrived(self.source.changes(200)))

    def on_journal_arrived(self, message: JournalArrived) -> None:
        entries = tuple(message.entries)
        if [(e.change_id, e.status) for e in entries] != [
            (e.change_id, e.status) for e in self.journal
        ]:
            self.journal = entries

    def action_refresh_now(self) -> None:
        """ctrl+r: re-read every part of every environment now, not only the live ones."""
        self.notify("refreshing…", timeout=1.5)
        self.source.expire(None)
        self.refresh_estate(everything=True)
        self._refresh_screen()

    def _refresh_screen(self) -> None:
        """Let the current screen re-read its own data too (a service's detail, logs)."""
        reread = getattr(self.screen, "reread", None)
        if callable(reread):
            reread()

    # -- errors ----------------------------------------------------------------------

    def show_error(self, text: str) -> None:
        """Show one error line (from a worker) in a notification and on the status bar,
        where it stays for a minute."""
        self.error = text
        self.notify(text, severity="error", timeout=8)
        self.set_timer(ERROR_SECONDS, lambda: self._forget_error(text))

    def _forget_error(self, text: str) -> None:
        if self.error == text:
            self.error = ""

    # -- changes ---------------------------------------------------------------------

    def change_block(self, env: str) -> str:
        """Why changes are off in ``env`` ("" when they are allowed)."""
        if self.settings.read_only:
            return "read-only session"
        if self.config.environments[env].protected and env not in self.unlocked:
            key = self.keymap.get("app.unlock", "ctrl+u").split(",")[0]
            return f"{env} is locked: {key} (protected: read-only until unlocked)"
        return ""

    def mode_text(self, env: str | None = None) -> str:
        if self.settings.read_only:
            return "READ-ONLY"
        locked = [e for e in self.settings.envs if self.change_block(e)]
        if env is not None and env in locked:
            return f"{env} read-only (ctrl+u unlocks)"
        return f"{', '.join(locked)} read-only" if locked else ""

    def action_unlock(self) -> None:
        env = getattr(self.screen, "env", None)
        if not env or not self.config.environments[env].protected:
            self.notify("open a protected environment's screen to unlock it", timeout=3)
            return
        self.unlock(env)

    def unlock(self, env: str) -> None:
        """Ask for the name of protected ``env``, then allow changes there this session."""
        from tui.screens.ask import AskScreen, must_equal

        if self.settings.read_only:
            self.notify("this session is read-only (--read-only)", severity="warning")
            return
        if env in self.unlocked:
            self.unlocked = self.unlocked - {env}
            self.notify(f"{env} is read-only again")
            return

        def done(value: str | None) -> None:
            if value == env:
                self.unlocked = self.unlocked | {env}
                self.notify(f"changes allowed in {env} for this session (each still confirmed)")

        self.push_screen(
            AskScreen(
                f"Allow changes in {env} for this session?",
                f"type {env} to unlock",
                validator=must_equal(env),
            ),
            done,
        )

    def request_change(self, request: ActionRequest) -> None:
        """Plan ``request`` in a worker; the plan modal opens when it is ready."""
        block = self.change_block(request.env)
        if block:
            self.notify(block, severity="warning")
            return
        self.notify(f"planning {request.title}…", timeout=2)
        self._plan(request)

    @work(thread=True, exclusive=True, exit_on_error=False, group="plan", description="plan")
    def _plan(self, request: ActionRequest) -> None:
        self.post_message(PlanReady(request, self.source.plan(request)))

    def on_plan_ready(self, message: PlanReady) -> None:
        protected = self.config.environments[message.plan.env].protected
        self.push_screen(PlanScreen(message.request, message.plan, protected))

    def on_apply_requested(self, message: ApplyRequested) -> None:
        """Apply a reviewed plan in a worker that outlives the modal."""
        plan, confirm = message.plan, message.confirm
        self.run_worker(
            partial(self._apply, plan, confirm),
            name=f"apply-{plan.id}",
            group=f"apply-{plan.id}",
            description=f"{plan.change} on {plan.env}",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )

    def _apply(self, plan: Plan, confirm: str | None) -> None:
        def progress(line: str) -> None:
            self.post_message(ChangeProgress(plan.id, line))

        try:
            outcome = self.source.apply(plan, confirm, progress)
        except Exception as error:
            outcome = Outcome("failed", describe(error), plan.id)
        self.post_message(ChangeDone(plan, outcome))

    def on_change_progress(self, message: ChangeProgress) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, PlanScreen) and screen.plan.id == message.plan_id:
                screen.add_progress(message.line)

    def on_change_done(self, message: ChangeDone) -> None:
        self.outcomes.append((message.plan, message.outcome))
        for screen in self.screen_stack:
            if isinstance(screen, PlanScreen) and screen.plan.id == message.plan.id:
                screen.finished(message.outcome)
        self.notify(
            f"{message.plan.summary}: {message.outcome.outcome} {message.outcome.detail}".strip(),
            severity="information" if message.outcome.ok else "error",
            timeout=8,
        )
        self.source.expire(message.plan.env)  # what the change touched is read again at once
        self.refresh_estate(everything=True)
        self._refresh_screen()

    # -- what screens ask for (messages up) ---------------------------------------------

    def on_navigate(self, message: Navigate) -> None:
        self.open(message.kind, message.env, message.cluster, message.service, message.item)

    async def on_go_back(self, message: GoBack) -> None:
        await self.action_back()

    def on_change_requested(self, message: ChangeRequested) -> None:
        self.request_change(message.request)

    def on_unlock_wanted(self, message: UnlockWanted) -> None:
        self.unlock(message.env)

    def on_detail_wanted(self, message: DetailWanted) -> None:
        self._read_detail(message.env, message.service)

    @work(thread=True, exit_on_error=False, group="detail", description="detail")
    def _read_detail(self, env: str, service: str) -> None:
        self.call_from_thread(self._deliver_detail, env, service, self.source.detail(env, service))

    def _deliver_detail(self, env: str, service: str, detail: ServiceState) -> None:
        from tui.screens.service import ServiceScreen

        for screen in self.screen_stack:
            if isinstance(screen, ServiceScreen) and (screen.env, screen.address) == (env, service):
                screen.post_message(DetailArrived(detail))

    def on_targets_wanted(self, message: TargetsWanted) -> None:
        status = self.estate.env(message.env)
        if status is not None and status.state is not None:
            self._read_targets(status.state)

    @work(thread=True, exit_on_error=False, group="targets", description="target groups")
    def _read_targets(self, env: EnvironmentState) -> None:
        groups = self.source.targets(env)
        self.call_from_thread(self._deliver_targets, env.name, groups)

    def _deliver_targets(self, env: str, groups: tuple[TargetGroupState, ...]) -> None:
        for screen in self.screen_stack:
            if getattr(screen, "env", None) == env and hasattr(screen, "on_targets_arrived"):
                screen.post_message(TargetsArrived(env, groups))

    def on_containers_wanted(self, message: ContainersWanted) -> None:
        self._read_containers(message)

    @work(thread=True, exit_on_error=False, group="containers", description="container metrics")
    def _read_containers(self, wanted: ContainersWanted) -> None:
        try:
            found = self.source.container_metrics(wanted.env, wanted.cluster, wanted.tasks)
        except OpskitError as error:  # said in the view (cells "unknown"), not a pop-up a minute
            found = ContainerMetrics(wanted.cluster, "", note=f"unknown: {describe(error)}")
        self.call_from_thread(self._deliver_containers, wanted.env, found)

    def _deliver_containers(self, env: str, found: ContainerMetrics) -> None:
        for screen in self.screen_stack:
            if getattr(screen, "env", None) == env and hasattr(screen, "on_containers_arrived"):
                screen.post_message(ContainersArrived(env, found))

    def on_raw_wanted(self, message: RawWanted) -> None:
        self.notify("reading the AWS description…", timeout=2)
        self._read_raw(message)

    @work(thread=True, exit_on_error=False, group="raw", description="raw JSON")
    def _read_raw(self, wanted: RawWanted) -> None:
        data = self.source.raw(wanted.env, wanted.service, wanted.cluster, wanted.task)
        what = f"task {wanted.task}" if wanted.task else f"service {wanted.service}"
        self.call_from_thread(self._show_raw, f"{what} in {wanted.env}", data)

    def _show_raw(self, title: str, data: object) -> None:
        from tui.screens.raw import RawScreen

        self.push_screen(RawScreen(title, data))

    def on_logs_wanted(self, message: LogsWanted) -> None:
        self._read_logs(message)

    @work(thread=True, exit_on_error=False, group="logs", description="logs")
    def _read_logs(self, wanted: LogsWanted) -> None:
        batch = self.source.logs(wanted.env, wanted.service, wanted.task, wanted.cursor)
        self.call_from_thread(self._deliver_logs, wanted, batch)

    def _deliver_logs(self, wanted: LogsWanted, batch: LogBatch) -> None:
        from tui.screens.logs import LogsScreen

        for screen in self.screen_stack:
            if isinstance(screen, LogsScreen) and (screen.env, screen.service, screen.task_id) == (
                wanted.env,
                wanted.service,
                wanted.task,
            ):
                screen.post_message(LogsArrived(batch))

    # -- navigation ------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def action_feed(self) -> None:
        from tui.screens.feed import FeedScreen

        if not isinstance(self.screen, FeedScreen):
            self.push_screen(FeedScreen())

    def action_hosts(self) -> None:
        from tui.screens.hosts import HostsScreen

        if not isinstance(self.screen, HostsScreen):
            self.push_screen(HostsScreen(getattr(self.screen, "env", None)))

    async def action_back(self) -> None:
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def open(
        self, kind: str, env: str, cluster: str = "", service: str = "", item: str = ""
    ) -> None:
        """Drill into something (from a table, the host map or the command palette)."""
        from tui.screens.cluster import ClusterScreen
        from tui.screens.environment import EnvironmentScreen
        from tui.screens.service import ServiceScreen

        status = self.estate.env(env)
        if status is not None and status.denied:
            self.notify(f"{env}: {status.error}", severity="warning")
            return
        if kind == "env":
            self.push_screen(EnvironmentScreen(env))
        elif kind == "cluster":
            self.push_screen(ClusterScreen(env, cluster))
        elif kind == "service":
            self.push_screen(ServiceScreen(env, service, cluster))
        elif kind == "hosts":
            from tui.screens.hosts import HostsScreen

            self.push_screen(HostsScreen(env or None))
