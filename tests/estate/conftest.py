"""Fixtures for the estate tests: alice's workspace and estate on the session's sandbox,
and one overview snapshot that the read-only tests share.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opskit.estate.collect import Estate
from opskit.estate.model import Snapshot
from opskit.workspace import Workspace
from sandbox.state import SandboxInfo

CONFIG = Path(__file__).resolve().parents[2] / "environments.toml"


@pytest.fixture(scope="session")
def alice_workspace(sandbox: SandboxInfo) -> Workspace:
    from opskit.workspace import open_workspace

    return open_workspace(CONFIG, user="alice")


@pytest.fixture(scope="session")
def bob_workspace(sandbox: SandboxInfo) -> Workspace:
    from opskit.workspace import open_workspace

    return open_workspace(CONFIG, user="bob")


@pytest.fixture(scope="session")
def estate(alice_workspace: Workspace) -> Estate:
    return Estate(alice_workspace.accounts)


@pytest.fixture(scope="session")
def snapshot(estate: Estate) -> Snapshot:
    return estate.snapshot()
