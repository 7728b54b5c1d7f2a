"""The simulator's clock: a heap of timed callbacks run by one thread, and sandbox time.

Nothing is polled: every task transition, drain end and reconcile is a timed event, so an
idle estate of 2,700 tasks costs only its periodic jobs (metrics, logs, pruning). AWS
durations are divided by the time factor (``scaled``); API hooks wake the thread early.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

MIN_DELAY_S = 0.02


class Scheduler:
    """Timed callbacks, run under one lock by ``run_due``."""

    def __init__(self, time_factor: float, seed: int | None = None) -> None:
        self.time_factor = max(1.0, float(time_factor))
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self._heap: list[tuple[float, int, Callable[[], None]]] = []
        self._counter = itertools.count()
        self._wake = threading.Event()

    def scaled(self, aws_seconds: float) -> float:
        """Real seconds that ``aws_seconds`` of AWS time take in the sandbox."""
        return max(MIN_DELAY_S, aws_seconds / self.time_factor)

    def at(self, delay_s: float, callback: Callable[[], None]) -> None:
        """Run ``callback`` after ``delay_s`` real seconds."""
        when = time.time() + max(0.0, delay_s)
        with self.lock:
            heapq.heappush(self._heap, (when, next(self._counter), callback))
        if delay_s <= MIN_DELAY_S:
            self._wake.set()

    def every(self, period_s: float, callback: Callable[[], object], first_s: float = 0.0) -> None:
        """Run ``callback`` every ``period_s`` real seconds."""

        def repeat() -> None:
            try:
                callback()
            finally:
                self.at(period_s, repeat)

        self.at(first_s, repeat)

    def run_due(self) -> float:
        """Run every due callback; seconds until the next one (or a long wait)."""
        while True:
            with self.lock:
                if not self._heap:
                    return 5.0
                when, _, callback = self._heap[0]
                now = time.time()
                if when > now:
                    return when - now
                heapq.heappop(self._heap)
                try:
                    callback()
                except Exception:
                    log.exception("sandbox simulator step failed")

    def wait(self, timeout: float) -> None:
        self._wake.wait(timeout)
        self._wake.clear()

    def wake(self) -> None:
        self._wake.set()
