"""The contract every change implements, and what the engine gives it to work with.

A change is a small object holding its parameters (``DeployChange(services=…, images=…)``).
The engine drives it through the same steps every time::

    plan = change.plan(ctx)                 # reads live state, mutates nothing
    ... guard, lock, journal intent ...
    live = change.live(ctx, plan)           # engine refuses the plan if live != before
    applied = change.apply(ctx, plan)       # mutates, using the plan alone
    result = change.verify(ctx, plan, applied)   # waits; rolls back on failure

``live``, ``apply`` and ``verify`` use only the plan, never the object's own parameters, so
a plan saved as JSON and loaded by ``opskit apply`` does exactly what was reviewed:
``KINDS[plan.change].from_plan(plan)`` rebuilds the object from ``plan.params``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, Self

from opskit.audit import Actor, Origin, Outcome, Redactor
from opskit.changes.plan import Access, Plan
from opskit.config import Config

Progress = Callable[[str], None]


class ClientSource(Protocol):
    """Where changes get boto3 clients: ``opskit.accounts.Accounts`` (or a test double)."""

    def client(
        self, env: str, service: str, access: str = "read", region: str | None = None
    ) -> Any:
        """A boto3 client for ``service`` in ``env`` at ``access`` level.

        Raises AuthError when the role for that access level cannot be assumed.
        """
        ...


@dataclass
class ChangeContext:
    """What a change may use: config, clients, progress, and the clock it waits by.

    ``access`` is the level mutating calls are made at (the operator's ``--access``);
    reads use ``read``.
    ``sleep`` and ``monotonic`` are injectable so waits are testable; ``poll_seconds`` is
    how often waits poll; pauses a change chooses itself are divided by ``time_factor``
    (the sandbox's clock runs that much faster); ``wait=False`` makes ``verify`` return at
    once (``--no-wait``); ``timeout_seconds`` overrides the config's deploy timeout.
    """

    config: Config
    accounts: ClientSource
    access: str = "deploy"
    progress: Progress = lambda message: None
    redactor: Redactor = field(default_factory=Redactor)
    poll_seconds: float = 5.0
    time_factor: float = 1.0
    wait: bool = True
    timeout_seconds: float | None = None
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic

    def reader(self, env: str, service: str, region: str | None = None) -> Any:
        """A client in ``env`` (``region``, default its first) with the read role."""
        if region:
            return self.accounts.client(env, service, access="read", region=region)
        return self.accounts.client(env, service, access="read")

    def writer(self, env: str, service: str, region: str | None = None) -> Any:
        """A client in ``env`` (``region``, default its first) with the role changes use."""
        if region:
            return self.accounts.client(env, service, access=self.access, region=region)
        return self.accounts.client(env, service, access=self.access)

    @property
    def timeout(self) -> float:
        """How long a verify may wait before it calls the change failed."""
        if self.timeout_seconds is not None:
            return self.timeout_seconds
        return float(self.config.changes.deploy_timeout_seconds)


@dataclass(frozen=True)
class Applied:
    """What ``apply`` did, handed to ``verify`` and journaled (JSON values only)."""

    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """How a change ended: ``applied``, ``failed``, ``rolled_back`` or ``refused``.

    ``detail`` is one line for people; ``data`` is JSON for programs (e.g. the new task
    definition ARN, the weights the traffic was left at); ``timings`` are seconds.
    """

    outcome: Outcome
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == "applied"

    def to_json(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "detail": self.detail,
            "data": self.data,
            "timings": self.timings,
        }


class Change(Protocol):
    """A kind of change to the estate (deploy, scale, draining, traffic shift…).

    ``kind`` names it in plans and the journal; ``access`` is the access level its
    mutating calls need (``deploy`` for every change we have). Implementations register
    themselves in ``opskit.changes.registry.KINDS``.
    """

    kind: ClassVar[str]
    access: ClassVar[Access]

    def plan(self, ctx: ChangeContext) -> Plan:
        """Read live state and return what would change; mutate nothing.

        The plan's diffs hold before (live now) and after (what apply sets); an empty
        plan means there is nothing to do. Raises UsageError for bad parameters (unknown
        service, a count outside the configured bounds…), AuthError when the read role
        is denied, AwsError when AWS fails.
        """
        ...

    @classmethod
    def from_plan(cls, plan: Plan) -> Self:
        """The change that made ``plan``, rebuilt from ``plan.params`` (for saved plans)."""
        ...

    def live(self, ctx: ChangeContext, plan: Plan) -> Mapping[str, Any]:
        """The live value of every diff, keyed by ``Diff.key``; mutate nothing.

        The engine compares each to the diff's ``before`` and refuses a stale plan. A
        resource that no longer exists is reported as ``None``.
        """
        ...

    def apply(self, ctx: ChangeContext, plan: Plan) -> Applied:
        """Make the plan's ``after`` values true, using nothing but the plan.

        Returns what was done (JSON) for ``verify`` and the journal. Raises an
        OpskitError (AuthError, AwsError…) if a call fails; it then leaves what it
        changed so far described in the error.
        """
        ...

    def verify(self, ctx: ChangeContext, plan: Plan, applied: Applied) -> Result:
        """Wait until the change has taken effect and say how it ended.

        Waits (polling every ``ctx.poll_seconds``, reporting on ``ctx.progress``) up to
        ``ctx.timeout``; on failure restores the previous state where the change can
        (deploy rolls back, a traffic shift restores the last good weights) and returns
        ``rolled_back``, else ``failed``. With ``ctx.wait`` false it returns ``applied``
        without waiting.
        """
        ...


@dataclass(frozen=True)
class ChangeNotice:
    """What a notifier hears after every change: the plan, how it ended, who, and the
    journal's outcome record (with its ``seq`` and ``hash``)."""

    plan: Plan
    result: Result
    actor: Actor
    origin: Origin
    record: Mapping[str, Any]


class Notifier(Protocol):
    """Told about every change once its outcome is journaled (e.g. a Datadog event).

    ``notify`` may raise or be slow; the engine catches any exception, reports it as a
    warning on progress, and the change's outcome stands. It never fails a change.
    """

    def notify(self, notice: ChangeNotice) -> None:
        """Tell the outside world about ``notice``."""
        ...
