"""Where opskit keeps its state and caches on this machine (``OPSKIT_STATE_DIR`` wins).

Plain path helpers, below every service: the composition root puts the workspace's state
there, and services that keep a cache of their own (the runbook catalog) find it here.
"""

from __future__ import annotations

import os
from pathlib import Path


def state_dir() -> Path:
    """Where opskit keeps its journal, caches, outbox and runbook runs."""
    named = os.environ.get("OPSKIT_STATE_DIR")
    if named:
        return Path(named).expanduser()
    import platformdirs

    return Path(platformdirs.user_state_dir("opskit"))


def cache_dir() -> Path:
    """The user's cache dir (credentials, cost data); inside the state dir when that is set."""
    if os.environ.get("OPSKIT_STATE_DIR"):
        return state_dir() / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir("opskit"))
