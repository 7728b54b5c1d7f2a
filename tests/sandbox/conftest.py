"""The seeded-estate sandbox: a sandbox of its own (the session's shared one is changed by
other tests), started once per worker and shared by test_estate (which reads it as seeded)
and test_simulator (which then changes it). Both modules are one xdist group, so under
``--dist loadgroup`` they run on one worker, test_estate first (collection order)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.state import SandboxInfo

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"
TIME_FACTOR = 200.0
ESTATE_GROUP = "estate-sandbox"


@pytest.fixture(scope="session")
def estate_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxInfo]:
    from sandbox.process import ensure_running, stop

    state_dir = tmp_path_factory.mktemp("estate-sandbox")
    yield ensure_running(CONFIG, state_dir, time_factor=TIME_FACTOR, owner_pid=os.getpid())
    stop(state_dir)
