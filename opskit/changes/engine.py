"""The change engine: the one door every mutation of the estate goes through.

``Engine.plan(change)`` reads and returns a redacted ``Plan``; ``Engine.apply(plan)``
guards it, locks its resources, journals the intent, refuses it if stale, applies,
verifies, journals the outcome and tells the notifiers. Every refusal is journaled too.
The CLI, the TUI and notebooks all build one with ``Engine.from_workspace``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from opskit.audit import Actor, Journal, Origin, Redactor, change_record, utc_now
from opskit.audit.records import Outcome
from opskit.changes.guard import Confirm, guard
from opskit.changes.locks import ResourceLocks
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
from opskit.errors import ChangeFailed, Interrupted, OpskitError, RefusedError

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
        locks: ResourceLocks,
        whoami: Callable[[], Actor],
        *,
        origin: Origin | None = None,
        access: str | None = None,
        notifiers: Sequence[Notifier] = (),
        progress: Progress = lambda message: None,
        poll_seconds: float = BASE_POLL_SECONDS,
        time_factor: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
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
        return cls(
            config,
            workspace.accounts,
            Journal(workspace.journal_path, redactor),
            ResourceLocks(workspace.state_dir / "locks"),
            whoami,
            **options,
        )

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
            access=self.access or "deploy",
            progress=self.progress,
            redactor=self.journal.redactor,
            poll_seconds=self.poll_seconds,
            time_factor=self.time_factor,
            wait=wait,
            timeout_seconds=timeout if timeout is not None else default,
            sleep=self.sleep,
        )

    def plan(self, change: Change) -> Plan:
        """Plan ``change`` against live state (nothing mutated), with secrets redacted."""
        plan = change.plan(self.context())
        redact = self.journal.redactor
        diffs = tuple(
            dataclasses.replace(d, before=redact(d.before), after=redact(d.after))
            for d in plan.diffs
        )
        return dataclasses.replace(plan, params=redact(plan.params), diffs=diffs)

    def apply(
        self,
        plan: Plan,
        *,
        confirm: str | None = None,
        ask: Confirm | None = None,
        wait: bool = True,
        timeout: float | None = None,
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
        operator_access = self.access or plan.access
        try:
            guard(plan, self.config, access=operator_access, confirm=confirm, ask=ask)
        except RefusedError as refusal:
            self._finish(plan, Result("refused", str(refusal)))
            raise
        role = self.config.role_arn(plan.env, operator_access)
        ctx = self.context(wait=wait, timeout=timeout)
        try:
            with self.locks.hold(plan.resources, self.actor.user, f"{plan.change} {plan.id}"):
                self.journal.append(self._record(plan, role))
                result = self._run(change, ctx, plan, role, clock, started)
        except RefusedError as refusal:
            self._finish(plan, Result("refused", str(refusal)), role)
            raise
        if result.outcome != "applied":
            raise ChangeNotApplied(result)
        return result

    def _run(
        self, change: Change, ctx: ChangeContext, plan: Plan, role: str, clock: float, started: str
    ) -> Result:
        """Stale check, apply and verify under the lock; journal the outcome."""
        timings: dict[str, Any] = {"started_at": started}
        try:
            stale = stale_diffs(plan, change.live(ctx, plan))
            if stale:
                more = f" (and {len(stale) - 1} more)" if len(stale) > 1 else ""
                raise RefusedError(f"stale plan {plan.id}: {stale[0]}{more}; plan again")
            applied: Applied = change.apply(ctx, plan)
            timings["apply_s"] = round(time.monotonic() - clock, 3)
            result = change.verify(ctx, plan, applied)
        except KeyboardInterrupt:
            self._finish(plan, self._failed("interrupted", clock, timings), role)
            raise Interrupted(f"{plan.change} on {plan.env} interrupted") from None
        except RefusedError:
            raise
        except OpskitError as error:
            self._finish(plan, self._failed(str(error), clock, timings), role)
            raise
        except Exception as error:
            detail = f"{type(error).__name__}: {error}"
            self._finish(plan, self._failed(detail, clock, timings), role)
            raise ChangeFailed(f"{plan.change} on {plan.env} failed: {detail}") from error
        timings["total_s"] = round(time.monotonic() - clock, 3)
        result = dataclasses.replace(result, timings={**timings, **result.timings})
        self._finish(plan, result, role)
        return result

    @staticmethod
    def _failed(detail: str, clock: float, timings: dict[str, Any]) -> Result:
        total = round(time.monotonic() - clock, 3)
        return Result("failed", detail, timings={**timings, "total_s": total})

    def _record(self, plan: Plan, role: str, result: Result | None = None) -> dict[str, Any]:
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
        )

    def _finish(self, plan: Plan, result: Result, role: str | None = None) -> None:
        """Journal the outcome, then tell every notifier (whose failures are only warned)."""
        role = role or self.config.role_arn(plan.env, self.access or plan.access)
        record = self.journal.append(self._record(plan, role, result))
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
