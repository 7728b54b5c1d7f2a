"""One botocore data loader per data path, shared by every session opskit creates.

botocore parses its bundled JSON (endpoints.json, each service's model) per session, and
opskit keeps one session per environment and access level: a command reading three
environments parsed the same files three times or more (about 1 s of CPU per command).
The loader caches what it parsed and holds no credentials, so sessions can share it. It is
made where botocore makes its own (when the session first asks for it), after reading the
session's ``data_path`` setting as botocore does, so a missing profile still fails there.
"""

from __future__ import annotations

import threading
from typing import Any

_loaders: dict[str, Any] = {}
_lock = threading.Lock()


def core_session() -> Any:
    """A new botocore session (its own credentials and profile) with the shared loader."""
    import botocore.session

    session = botocore.session.get_session()
    session.lazy_register_component("data_loader", lambda: _loader(session))
    return session


def _loader(session: Any) -> Any:
    from botocore.loaders import create_loader

    path = session.get_config_variable("data_path")  # reads the profile, as botocore does
    with _lock:
        key = str(path or "")
        if key not in _loaders:
            _loaders[key] = create_loader(path)
        return _loaders[key]
