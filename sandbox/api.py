"""The sandbox as opskit sees it: the object behind the ``opskit.sandbox`` entry point.

opskit never imports this package; its composition root loads ``sandbox.api:port`` through
the entry point and uses only what ``opskit.sandbox_port.SandboxPort`` names.
"""

from __future__ import annotations

from types import SimpleNamespace

from sandbox.control import clear_faults, list_faults, set_fault
from sandbox.process import ensure_running, reset, status, stop
from sandbox.state import read_state

port = SimpleNamespace(
    ensure_running=ensure_running,
    status=status,
    stop=stop,
    reset=reset,
    read_state=read_state,
    set_fault=set_fault,
    list_faults=list_faults,
    clear_faults=clear_faults,
)
