"""Interruptions during a change: SIGINT and SIGTERM end it honestly.

While a change is applied or verified, both signals raise ``Interruption`` (a
``KeyboardInterrupt``), so the engine can journal an ``interrupted`` outcome holding the
live state at that moment, read back from the gateways (each ECS service's desired and
running counts and deployments; every diff's live value). A second signal while that state
is read skips the read: the outcome is journaled without it and the process leaves.
Nothing is rolled back: ECS carries on with a deployment it was given (its circuit breaker
may still roll it back). Handlers are only installed in the main thread (Python delivers
signals there); elsewhere, e.g. in the TUI's workers, nothing changes.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from opskit.aws import ecs as aws_ecs
from opskit.changes.plan import Plan
from opskit.changes.protocol import Change, ChangeContext
from opskit.changes.targets import ServiceRef

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interruption(KeyboardInterrupt):
    """A signal asked the change to stop; ``signal`` names it (SIGINT, SIGTERM)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.signal = name


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interruption(signal.Signals(signum).name)


@contextlib.contextmanager
def interruptible() -> Iterator[None]:
    """Within: SIGINT and SIGTERM raise ``Interruption`` (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, _raise)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


@contextlib.contextmanager
def deferred() -> Iterator[list[str]]:
    """Within: SIGINT and SIGTERM are held off (main thread only), so a journal record is
    never cut short. Yields the list of signals that came meanwhile, for the caller to act
    on once the record is whole."""
    came: list[str] = []
    if threading.current_thread() is not threading.main_thread():
        yield came
        return
    previous = {sig: signal.getsignal(sig) for sig in SIGNALS}
    for sig in SIGNALS:
        signal.signal(sig, lambda signum, frame: came.append(signal.Signals(signum).name))
    try:
        yield came
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_if(came: list[str]) -> None:
    """Raise the first signal held off by ``deferred``, if any."""
    if came:
        raise Interruption(came[0])


def signal_name(stop: KeyboardInterrupt) -> str:
    """SIGINT or SIGTERM: which signal ``stop`` came from (a plain Ctrl-C is SIGINT)."""
    return stop.signal if isinstance(stop, Interruption) else "SIGINT"


def live_state(change: Change, ctx: ChangeContext, plan: Plan) -> dict[str, Any]:
    """What the estate looks like now: ECS services' counts and deployments, and the live
    value of every diff. A second signal (or any failure) leaves the part it stopped."""
    state: dict[str, Any] = {}
    try:
        services = {}
        for resource in plan.resources:
            if "/ecs/service/" not in resource:
                continue
            ref = ServiceRef.from_resource(resource)
            ecs = ctx.reader(ref.env, "ecs", ref.where)
            service = aws_ecs.describe_service(ecs, ref.cluster, ref.service)
            services[resource] = service_state(dict(service))
        if services:
            state["services"] = services
        state["diffs"] = dict(change.live(ctx, plan))
    except KeyboardInterrupt:
        state["unread"] = "interrupted again: live state not read"
    except Exception as error:
        state["unread"] = f"live state not read: {type(error).__name__}: {error}"
    return state


def service_state(service: dict[str, Any]) -> dict[str, Any]:
    """An ECS service's counts and deployments, as the journal keeps them."""
    return {
        "taskDefinition": service.get("taskDefinition"),
        "desired": service.get("desiredCount"),
        "running": service.get("runningCount"),
        "pending": service.get("pendingCount"),
        "deployments": [
            {
                "id": d.get("id"),
                "status": d.get("status"),
                "taskDefinition": d.get("taskDefinition"),
                "desired": d.get("desiredCount"),
                "running": d.get("runningCount"),
                "pending": d.get("pendingCount"),
                "failed": d.get("failedTasks"),
                "rolloutState": d.get("rolloutState"),
            }
            for d in service.get("deployments", [])
        ],
    }
