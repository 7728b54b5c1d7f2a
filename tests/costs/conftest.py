"""Fixtures for the cost tests: a hand-made bill, a generated 13-month bill, a workspace.

``small_bill`` is ``costs_smallbill.py``'s 19 lines (totals known by hand); ``generated_bill`` is
the sandbox's own generator run for a fixed date into a temporary folder (the same code the
live sandbox seeds S3 with). ``workspace_for(cur_path)`` gives a report a config whose
``[costs].cur_path`` points there and a state dir of its own, with no AWS client at all.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import costs_smallbill as smallbill
import pytest
from costs_support import REPO, TODAY, LocalWorkspace, NoAws, with_costs


@pytest.fixture(scope="session")
def repo_config() -> Any:
    from opskit.config import load_config

    return load_config(REPO / "environments.toml")


@pytest.fixture(scope="session")
def small_bill(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return smallbill.write(tmp_path_factory.mktemp("small-cur"))


@pytest.fixture(scope="session")
def generated_bill(tmp_path_factory: pytest.TempPathFactory, repo_config: Any) -> Path:
    from sandbox.billing import costdata

    root = tmp_path_factory.mktemp("generated-cur")
    costdata.write_local(costdata.bill_spec(repo_config, today=TODAY), root)
    return root


@pytest.fixture
def workspace_for(tmp_path: Path, repo_config: Any) -> Callable[..., LocalWorkspace]:
    def make(cur_path: Path | str, **changes: Any) -> LocalWorkspace:
        config = with_costs(repo_config, source="cur", cur_path=str(cur_path), **changes)
        return LocalWorkspace(config, NoAws(), tmp_path / "state")

    return make
