"""One botocore data loader for every boto3 session the sandbox's own code creates.

Each new session parses endpoints.json and each service's model again; the seeders and
the simulator create one client per account, service and region, which made parsing
those files about a third of a sandbox start. The loader caches them and holds no
credentials, so sessions can share it (opskit does the same in ``opskit.accounts``).
"""

from __future__ import annotations

import threading
from typing import Any

_loaders: dict[str, Any] = {}
_lock = threading.Lock()


def boto_session(**options: Any) -> Any:
    """``boto3.session.Session(**options)`` whose botocore session has the shared loader."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    core.lazy_register_component("data_loader", lambda: _loader(core))
    return boto3.session.Session(botocore_session=core, **options)


def _loader(core: Any) -> Any:
    from botocore.loaders import create_loader

    path = core.get_config_variable("data_path")  # as botocore's own factory reads it
    with _lock:
        key = str(path or "")
        if key not in _loaders:
            _loaders[key] = create_loader(path)
        return _loaders[key]
