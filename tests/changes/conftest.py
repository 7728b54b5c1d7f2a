"""Workspaces on the session's shared sandbox for the change tests.

``workspace(user)`` gives a workspace on the shared sandbox whose journal and locks live
in the test's tmp dir (locks shared by the workspaces of one test). The tests change dev
freely, put back what they change in stage and prod, and leave stage's settings alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from opskit.workspace import Workspace
from sandbox.state import SandboxInfo


@pytest.fixture(scope="session")
def workspaces(sandbox: SandboxInfo) -> dict[str, Workspace]:
    """One workspace per sandbox user for the session (clients and roles cached)."""
    return {}


@pytest.fixture
def workspace(workspaces: dict[str, Workspace], tmp_path: Path) -> Callable[..., Workspace]:
    from opskit.workspace import open_workspace

    def make(user: str = "alice") -> Workspace:
        if user not in workspaces:
            workspaces[user] = open_workspace(user=user)
        return dataclasses.replace(workspaces[user], state_dir=tmp_path)

    return make
