"""Shared fixtures: one sandbox per test session (per pytest-xdist worker), reached over HTTP.

- Every test runs with ``$OPSKIT_STATE_DIR`` set to the session's temporary state directory
  (so nothing touches the developer's own state), and with ``$OPSKIT_SANDBOX_TIME_FACTOR``
  and ``$OPSKIT_SANDBOX_OWNER_PID`` set, so any sandbox a test starts, directly or through a
  CLI subprocess, runs fast and ends with the session. The session stops it at the end.
- ``sandbox``: the running sandbox (``SandboxInfo``: endpoint, accounts, roles, users).
- ``sandbox_env``: environment variables for subprocess CLI tests (``OPSKIT_CONFIG`` = the
  repository's environments.toml, ``OPSKIT_STATE_DIR``).
- ``alice``, ``bob`` (and ``aws_as(name)``): boto3 clients as that user, in the ops account
  or, through a real STS AssumeRole over HTTP, in an environment at an access level.
- ``sandbox_faults``: set fault rules for one test; all are cleared after it.

Order (``pytest_collection_modifyitems``): modules with a test marked ``slow`` run first, so
that a long test is not the last one a worker starts; a module whose tests share a
module-scoped fixture (often a sandbox of its own) is one ``xdist_group``, so that
``--dist loadgroup`` (dev.py's default) sets it up on one worker only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_clients import AwsAs

from sandbox.state import SandboxInfo

REPO = Path(__file__).resolve().parents[1]
CONFIG = REPO / "environments.toml"
TEST_TIME_FACTOR = 200.0


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    slow_modules = {i.path for i in items if i.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_modules)  # stable: modules stay whole
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        defs = info.name2fixturedefs.values() if info is not None else ()
        grouped = item.get_closest_marker("xdist_group") is not None  # a module's own choice
        if not grouped and any(d.scope == "module" for chain in defs for d in chain):
            item.add_marker(pytest.mark.xdist_group(str(item.path.relative_to(REPO))))


@pytest.fixture(scope="session", autouse=True)
def opskit_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This session's (this worker's) opskit state directory, set for every test."""
    from sandbox.process import stop

    state_dir = tmp_path_factory.mktemp("opskit-state")
    patch = pytest.MonkeyPatch()
    patch.setenv("OPSKIT_STATE_DIR", str(state_dir))
    patch.setenv("OPSKIT_SANDBOX_TIME_FACTOR", str(TEST_TIME_FACTOR))
    patch.setenv("OPSKIT_SANDBOX_OWNER_PID", str(os.getpid()))
    patch.setenv("OPSKIT_SANDBOX_AUTOSAVE", "0")  # saved at stop only: no pickling mid-test
    yield state_dir
    stop(state_dir)
    patch.undo()


@pytest.fixture(scope="session")
def sandbox(opskit_state_dir: Path) -> SandboxInfo:
    """The session's sandbox, started on first use (over HTTP from here on)."""
    from sandbox.process import ensure_running

    return ensure_running(CONFIG, opskit_state_dir)


@pytest.fixture
def sandbox_env(sandbox: SandboxInfo, opskit_state_dir: Path) -> dict[str, str]:
    """Environment for ``subprocess.run([... "opskit" ...], env=sandbox_env)``."""
    env = dict(os.environ)
    env["OPSKIT_CONFIG"] = str(CONFIG)
    env["OPSKIT_STATE_DIR"] = str(opskit_state_dir)
    env["NO_PROXY"] = ",".join(filter(None, [env.get("NO_PROXY"), "127.0.0.1", "localhost"]))
    return env


@pytest.fixture(scope="session")
def aws_as(sandbox: SandboxInfo) -> Callable[[str], AwsAs]:
    """``aws_as("bob")``: clients as that sandbox user (one AwsAs per user per session)."""
    made: dict[str, AwsAs] = {}

    def make(user: str) -> AwsAs:
        if user not in made:
            made[user] = AwsAs(sandbox, user)
        return made[user]

    return make


@pytest.fixture(scope="session")
def alice(aws_as: Callable[[str], AwsAs]) -> AwsAs:
    return aws_as("alice")


@pytest.fixture(scope="session")
def bob(aws_as: Callable[[str], AwsAs]) -> AwsAs:
    return aws_as("bob")


class Faults:
    """Fault rules on the session's sandbox (see ``sandbox.aws.faults``)."""

    def __init__(self, info: SandboxInfo) -> None:
        self.info = info

    def set(self, **rule: Any) -> dict[str, Any]:
        from sandbox.control import set_fault

        return set_fault(self.info, **rule)

    def list(self) -> list[dict[str, Any]]:
        from sandbox.control import list_faults

        return list_faults(self.info)

    def clear(self, rule_id: str | None = None) -> int:
        from sandbox.control import clear_faults

        return clear_faults(self.info, rule_id)


@pytest.fixture
def sandbox_faults(sandbox: SandboxInfo) -> Iterator[Faults]:
    """Fault rules for this test; every rule is cleared afterwards."""
    faults = Faults(sandbox)
    yield faults
    faults.clear()
