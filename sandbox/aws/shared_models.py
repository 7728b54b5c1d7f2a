"""One botocore data loader for every boto3 session the sandbox's own code creates.

Each new session parses endpoints.json and each service's model again; the seeders and
the simulator create one client per account, service and region, which made parsing
those files about a third of a sandbox start. The loader caches them and holds no
credentials, so sessions can share it (opskit does the same in ``opskit.accounts``).
"""

from __future__ import annotations

import threading
from typing import Any

_shared: dict[str, Any] = {}
_lock = threading.Lock()


def boto_session(**options: Any) -> Any:
    """``boto3.session.Session(**options)`` whose botocore session has the shared loader."""
    import boto3
    import botocore.session

    core = botocore.session.get_session()
    with _lock:
        loader = _shared.setdefault("loader", core.get_component("data_loader"))
    core.register_component("data_loader", loader)
    return boto3.session.Session(botocore_session=core, **options)
