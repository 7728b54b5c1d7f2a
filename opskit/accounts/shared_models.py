"""One botocore data loader per process, shared by every session opskit creates.

botocore parses its bundled JSON (endpoints.json, each service's model) per session, and
opskit keeps one session per environment and access level: a command reading three
environments parsed the same files three times or more (about 1 s of CPU per command).
The loader caches what it parsed and holds no credentials, so sessions can share it.
"""

from __future__ import annotations

import threading
from typing import Any

_shared: dict[str, Any] = {}
_lock = threading.Lock()


def core_session() -> Any:
    """A new botocore session (its own credentials and profile) with the shared loader."""
    import botocore.session

    session = botocore.session.get_session()
    with _lock:
        loader = _shared.setdefault("loader", session.get_component("data_loader"))
    session.register_component("data_loader", loader)
    return session
