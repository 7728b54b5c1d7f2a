"""The change engine: the one door every mutation of the estate goes through.

``Engine.plan(change)`` reads and returns a redacted ``Plan``; ``Engine.apply(plan)``
guards it, locks its resources, journals the intent, refuses it if stale, applies,
verifies, journals the outcome and tells the notifiers. Every attempt is on the record:
each apply has its own attempt id; refusals, a denial at planning and an interruption
(SIGINT, SIGTERM: ``interrupted``, with the live state then) are journaled too.
The CLI, the TUI and notebooks all build one with ``Engine.from_workspace``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opskit.audit import Actor, Journal, Origin, Redactor, change_record, utc_now
from opskit.audit.records import Outcome
from opskit.changes.attempts import attempt_id, unplanned
from opskit.changes.cost_note import with_cost_notes
from opskit.changes.guard import Confirm, guard
from opskit.changes.interrupt import (
    deferred,
    interruptible,
    live_state,
    signal_name,
    stop_if,
)
from opskit.changes.locks import Locks
from opskit.changes.plan import Plan, stale_diffs
from opskit.changes.protocol import (
    Applied,
    Change,
    ChangeContext,
    ChangeNotice,
    ClientSource,
    Notifier,
    Progress,
    Result,
)
from opskit.config import Config
from opskit.context import CapacityRates
from opskit.errors import (
    AuthError,
    ChangeFailed,
    Interrupted,
    OpskitError,
    RefusedError,
    UsageError,
)

if TYPE_CHECKING:
    from opskit.context import Workspace

BASE_POLL_SECONDS = 5.0


class ChangeNotApplied(ChangeFailed):
    """A change was applied and then failed or was rolled back; ``result`` says how."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.detail)
        self.result = result


class Engine:
    """Plans, guards, locks, applies, verifies, journals and notifies changes."""

    def __init__(
        self,
        config: Config,
        accounts: ClientSource,
        journal: Journal,
        locks: Locks,
        whoami: Callable[[], Actor],
        *,
        origin: Origin | None = None,
        access: str | None = None,
        notifiers: Sequence[Notifier] = (),
        progress: Progress = lambda message: None,
        poll_seconds: float = BASE_POLL_SECONDS,
        time_factor: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        capacity_rates: CapacityRates | None = None,
    ) -> None:
        self.config = config
        self.accounts = accounts
        self.journal = journal
        self.locks = locks
        self.origin = origin or Origin()
        self.access = access
        self.notifiers = list(notifiers)
        self.progress = progress
        self.poll_seconds = poll_seconds
        self.time_factor = time_factor
        self.sleep = sleep
        self._whoami = whoami
        self.capacity_rates = capacity_rates  # prices a plan's capacity change (cost note)
        self._actor: Actor | None = None

    @classmethod
    def from_workspace(cls, workspace: Workspace, **options: Any) -> Engine:
        """The engine for a front end: the workspace's journal, locks, identity, clock.

        The workspace's clock may run faster than the wall clock (the sandbox's does), so
        polls and timeouts shrink by its factor.
        """
        config = workspace.config
        redactor = secret_redactor(config)
        factor = workspace.clock.factor

        def whoami() -> Actor:
            who = workspace.accounts.whoami()
            return Actor(user=who.user_name, arn=who.arn, source_identity=who.session_name)

        options.setdefault("poll_seconds", BASE_POLL_SECONDS / factor)
        options.setdefault("time_factor", factor)
        options.setdefault("sleep", workspace.clock.sleep)
        options.setdefault("notifiers", workspace.notifiers(options.get("progress")))
        options.setdefault("capacity_rates", workspace.capacity_rates)
        from opskit.audit.setup import open_journal
        from opskit.changes.leases import locks_for

        accounts, state = workspace.accounts, workspace.state_dir
        journal = open_journal(config, accounts, state, workspace.journal_path, redactor)
        locks = locks_for(config, accounts, state, journal)
        return cls(config, accounts, journal, locks, whoami, **options)

    @property
    def actor(self) -> Actor:
        """Who is acting (asked of the accounts once)."""
        if self._actor is None:
            self._actor = self._whoami()
        return self._actor

    def context(self, *, wait: bool = True, timeout: float | None = None) -> ChangeContext:
        """The context changes run in: clients, progress, clock, redactor."""
        default = self.config.changes.deploy_timeout_seconds / self.time_factor
        return ChangeContext(
            config=self.config,
            accounts=self.accounts,
            access=self.access if self.access is not None else "deploy",
            progress=self.progress,
            redactor=self.journal.redactor,
            poll_seconds=self.poll_seconds,
            time_factor=self.time_factor,
            wait=wait,
            timeout_seconds=timeout if timeout is not None else default,
            sleep=self.sleep,
        )

    def plan(self, change: Change) -> Plan:
        """Plan ``change`` against live state (nothing mutated), with secrets redacted.

        When AWS denies reading the live state, the denial is journaled (``denied``); a
        change that refuses at planning (promote's soak) is journaled ``refused``."""
        try:
            plan = change.plan(self.context())
        except AuthError as denial:
            with contextlib.suppress(AuthError):  # who we are may be unknowable too
                stub = unplanned(change, self.config, "denied")
                self.record_stopped(stub, "denied", str(denial))
            raise
        except RefusedError as refusal:  # e.g. promote: the source has not soaked
            with contextlib.suppress(AuthError):
                stub = unplanned(change, self.config, "refused")
                self.record_stopped(stub, "refused", str(refusal))
            raise
        redact = self.journal.redactor
        diffs = tuple(
            dataclasses.replace(d, before=redact(d.before), after=redact(d.after))
            for d in plan.diffs
        )
        plan = dataclasses.replace(plan, params=redact(plan.params), diffs=diffs)
        return with_cost_notes(self.context(), plan, self.capacity_rates)

    def apply(
        self,
        plan: Plan,
        *,
        confirm: str | None = None,
        ask: Confirm | None = None,
        wait: bool = True,
        timeout: float | None = None,
        override_freeze: str | None = None,
    ) -> Result:
        """Guard, lock, journal, apply, verify, journal and notify ``plan``.

        Returns the result when the change is applied (or there was nothing to do).
        Raises RefusedError when a guard, a lock or a stale plan refuses it (journaled,
        nothing touched), ChangeNotApplied when it failed or was rolled back, or the
        error that stopped it (after journaling the failure).
        """
        from opskit.changes.registry import change_for

        change = change_for(plan)
        if plan.empty:
            return Result("applied", "nothing to change")
        started, clock = utc_now(), time.monotonic()
        attempt = attempt_id(plan.id)
        operator_access = self.access if self.access is not None else plan.access
        try:
            overridden = guard(
                plan,
                self.config,
                access=operator_access,
                confirm=confirm,
                ask=ask,
                override_freeze=override_freeze,
            )
        except RefusedError as refusal:
            self._finish(plan, Result("refused", str(refusal)), attempt=attempt)
            raise
        if overridden:  # the reason goes on every record of the attempt
            plan = dataclasses.replace(plan, notes=(*plan.notes, overridden))
        role = self.config.role_arn(plan.env, operator_access)
        ctx = self.context(wait=wait, timeout=timeout)
        try:
            with (
                interruptible(),
                self.locks.hold(plan.resources, self.actor.user, f"{plan.change} {plan.id}"),
            ):
                with deferred() as came:  # the intent is written whole; a signal then stops
                    self.journal.append(self._record(plan, role, attempt=attempt))
                result = self._run(change, ctx, plan, role, clock, started, attempt, came)
        except RefusedError as refusal:
            self._finish(plan, Result("refused", str(refusal)), role, attempt)
            raise
        if result.outcome != "applied":
            raise ChangeNotApplied(result)
        return result

    def apply_saved(
        self,
        plan: Plan,
        *,
        confirm: str | None = None,
        ask: Confirm | None = None,
        wait: bool = True,
        timeout: float | None = None,
        override_freeze: str | None = None,
    ) -> Result:
        """Apply a saved plan (signature already checked) only if it is what its intent does
        (``check_saved``), then like ``apply``."""
        confirmed = self.check_saved(
            plan, confirm=confirm, ask=ask, override_freeze=override_freeze
        )
        return self.apply(
            plan, confirm=confirmed, wait=wait, timeout=timeout, override_freeze=override_freeze
        )

    def check_saved(
        self,
        plan: Plan,
        *,
        confirm: str | None = None,
        ask: Confirm | None = None,
        override_freeze: str | None = None,
    ) -> str | None:
        """The confirmation to apply a saved plan with, once it is what its intent does.

        Refuses (RefusedError) a plan that reaches outside its environment, then guards it
        (access, confirmation, freeze, read-only), rebuilds the change from the plan's
        intent, plans it again against the live estate (bounds and other checks included)
        and refuses unless that gives the saved plan. Refusals after the environment check
        are journaled.
        """
        from opskit.changes.registry import change_for
        from opskit.changes.saved import mismatches, outside_environment

        outside = outside_environment(plan, self.config)
        if outside:
            more = f" (and {len(outside) - 1} more)" if len(outside) > 1 else ""
            raise RefusedError(f"plan {plan.id} refused: {outside[0]}{more}")
        answers: list[str] = []
        asked: Confirm | None = None
        if ask is not None:
            prompt = ask

            def asked(shown: Plan) -> str:
                answers.append(prompt(shown).strip())
                return answers[-1]

        access = self.access or plan.access
        try:
            guard(
                plan,
                self.config,
                access=access,
                confirm=confirm,
                ask=asked,
                override_freeze=override_freeze,
            )
            try:
                fresh = self.plan(change_for(plan))
            except UsageError as error:
                raise RefusedError(f"plan {plan.id} refused: {error}") from None
            except (KeyError, TypeError, ValueError) as error:  # parameters of the wrong shape
                detail = f"{type(error).__name__}: {error}"
                raise RefusedError(f"plan {plan.id} refused: bad parameters ({detail})") from None
            stale, lines = mismatches(plan, fresh)
            if lines:
                more = f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""
                what = (
                    f"stale plan {plan.id}"
                    if stale
                    else f"plan {plan.id} does not match its intent"
                )
                raise RefusedError(f"{what}: {lines[0]}{more}; plan again")
        except RefusedError as refusal:
            self._finish(plan, Result("refused", str(refusal)), attempt=attempt_id(plan.id))
            raise
        return confirm if confirm is not None else (answers[0] if answers else None)

    def record_stopped(self, plan: Plan | None, outcome: Outcome, reason: str) -> None:
        """Journal a change stopped before it was planned or applied (one record saying
        who, where, what and why); ``plan`` is its stub (None: nothing to say where)."""
        if plan is not None:
            self._finish(plan, Result(outcome, reason), attempt=attempt_id(plan.id))

    def _run(
        self,
        change: Change,
        ctx: ChangeContext,
        plan: Plan,
        role: str,
        clock: float,
        started: str,
        attempt: str,
        came: list[str],
    ) -> Result:
        """Stale check, apply, verify and bake under the lock; journal the outcome."""
        from opskit.changes.bake import bake

        timings: dict[str, Any] = {"started_at": started}
        began = time.time()
        try:
            stop_if(came)  # a signal while the intent was written
            stale = stale_diffs(plan, change.live(ctx, plan))
            if stale:
                more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
                raise RefusedError(f"stale plan {plan.id}: {stale[0]}{more}; plan again")
            applied: Applied = change.apply(ctx, plan)
            timings["apply_s"] = round(time.monotonic() - clock, 3)
            verifying = time.monotonic()
            result = change.verify(ctx, plan, applied)  # waits until settled (changes/settled.py)
            timings["verify_s"] = round(time.monotonic() - verifying, 3)
            baked = bake(ctx, plan, applied, result, since=began)  # its monitors watch it
            if baked is not result:
                timings["bake_s"] = round(time.monotonic() - verifying - timings["verify_s"], 3)
            result = baked
        except KeyboardInterrupt as stop:
            name = signal_name(stop)
            state: dict[str, Any] = {"unread": "interrupted again: live state not read"}
            try:
                self.progress(f"{name}: recording the live state (again to leave at once)")
                state = live_state(change, ctx, plan)
            except KeyboardInterrupt:
                pass
            detail = f"interrupted by {name}; nothing rolled back"
            total = round(time.monotonic() - clock, 3)
            result = Result("interrupted", detail, state, {**timings, "total_s": total})
            with deferred():  # the outcome is written whole, whatever arrives meanwhile
                record = self.journal.append(self._record(plan, role, result, attempt))
            self._notify(plan, result, record)
            raise Interrupted(f"{plan.change} on {plan.env} {detail}") from None
        except RefusedError:
            raise
        except OpskitError as error:
            self._finish(plan, self._failed(str(error), clock, timings), role, attempt)
            raise
        except Exception as error:
            detail = f"{type(error).__name__}: {error}"
            self._finish(plan, self._failed(detail, clock, timings), role, attempt)
            raise ChangeFailed(f"{plan.change} on {plan.env} failed: {detail}") from error
        timings["total_s"] = round(time.monotonic() - clock, 3)
        result = dataclasses.replace(result, timings={**timings, **result.timings})
        self._finish(plan, result, role, attempt)
        return result

    @staticmethod
    def _failed(detail: str, clock: float, timings: dict[str, Any]) -> Result:
        total = round(time.monotonic() - clock, 3)
        return Result("failed", detail, timings={**timings, "total_s": total})

    def _record(
        self, plan: Plan, role: str, result: Result | None = None, attempt: str | None = None
    ) -> dict[str, Any]:
        """The intent record for ``plan``, or its outcome record when ``result`` is given."""
        outcome: Outcome | None = result.outcome if result else None
        return change_record(
            "outcome" if result else "intent",
            plan.to_json(),
            actor=self.actor,
            origin=self.origin,
            role=role,
            outcome=outcome,
            detail=result.detail if result else "",
            data=result.data if result else None,
            timings=result.timings if result else None,
            attempt=attempt,
        )

    def _finish(
        self, plan: Plan, result: Result, role: str | None = None, attempt: str | None = None
    ) -> None:
        """Journal the outcome, then tell every notifier (whose failures are only warned)."""
        if role is None:
            access = self.access if self.access is not None else plan.access
            known = access in self.config.access_levels()
            role = self.config.role_arn(plan.env, access if known else plan.access)
        record = self.journal.append(self._record(plan, role, result, attempt))
        self._notify(plan, result, record)

    def _notify(self, plan: Plan, result: Result, record: dict[str, Any]) -> None:
        """Tell every notifier about a journaled outcome; their failures are only warned."""
        notice = ChangeNotice(plan, result, self.actor, self.origin, record)
        for notifier in self.notifiers:
            try:
                notifier.notify(notice)
            except Exception as error:
                name = type(notifier).__name__
                self.progress(f"warning: {name} failed ({error}); the change stands")


def secret_redactor(config: Config) -> Redactor:
    """A redactor that knows every secret name the service catalog declares."""
    names = {name for service in config.services.values() for name in service.secrets}
    return Redactor(names=names)
