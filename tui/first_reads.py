"""The first frame first: an environment's staged first read (the services matrix) is
followed at once by a read of everything else, but only once every environment's first
read is in (or ``WAIT_SECONDS`` passed). Started straight away, one environment's heavy
completing read (tasks, hosts, balancers, DNS, a call per task definition family) competes
with the others' first reads for the same accounts' API rate, the same machine and, in the
sandbox, the same server: on the large estate that doubled the time to a full first frame.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

WAIT_SECONDS = 10.0  # a slow or failing environment holds the others' completion no longer


class FirstReads:
    """Which environments' first reads are still out; thread-safe (reads run in workers)."""

    def __init__(self, envs: Iterable[str], wait: float = WAIT_SECONDS) -> None:
        self._left = set(envs)
        self._wait = wait
        self._changed = threading.Condition()

    def done(self, env: str) -> None:
        """``env``'s first read is in (or failed): it no longer holds the others."""
        with self._changed:
            self._left.discard(env)
            self._changed.notify_all()

    def wait(self) -> bool:
        """Block until every first read is in (True) or the wait ran out (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._left, self._wait)
