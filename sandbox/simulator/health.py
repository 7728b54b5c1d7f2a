"""What the estate's monitors would see: when each service's tasks last died on their own.

The simulator records every essential-container exit (a ``:broken`` image, a crash loop)
per (account, cluster, service); the sandbox Datadog reads it in-process to evaluate its
"running below desired" monitors, as Datadog would see RunningTaskCount dip below
DesiredTaskCount. A service is alerting while an exit is younger than ``ALERT_WINDOW_S``
of sandbox time (a crash-looping service stays in alert; a fixed one recovers).
"""

from __future__ import annotations

import threading
import time

ALERT_WINDOW_S = 600.0  # sandbox seconds an exit keeps the service's monitor in Alert
MIN_WINDOW_REAL_S = 8.0

_lock = threading.Lock()
_exits: dict[tuple[str, str, str], list[float]] = {}
_factor = [20.0]


def configure(time_factor: float) -> None:
    """The sandbox's time factor (how much faster than the wall clock it runs)."""
    _factor[0] = max(1.0, float(time_factor))


def window_s() -> float:
    """Real seconds an exit keeps a monitor in Alert."""
    return max(MIN_WINDOW_REAL_S, ALERT_WINDOW_S / _factor[0])


def task_exited(account_id: str, cluster: str, service: str, when: float | None = None) -> None:
    """A task of this service exited on its own (not stopped by anyone)."""
    with _lock:
        times = _exits.setdefault((account_id, cluster, service), [])
        times.append(time.time() if when is None else when)
        del times[:-50]


def exits(account_id: str, cluster: str, service: str) -> list[float]:
    """Epoch seconds of this service's recent exits, oldest first."""
    with _lock:
        return list(_exits.get((account_id, cluster, service), []))
