"""Fixtures for the dashboard's tests: the repository's config, apps on fixed data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tui_pilot import CONFIG, build_app

from opskit.config import Config, load_config
from tui.app import OpskitApp


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    """Pilot tests are coroutines run by anyio's pytest plugin, on asyncio (Textual's loop)."""
    return "asyncio"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(CONFIG)


@pytest.fixture(autouse=True)
def no_user_keymap(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Never read the developer's own keymap in tests."""
    monkeypatch.setenv("OPSKIT_TUI_KEYMAP", str(tmp_path / "no-keymap.toml"))


@pytest.fixture
def fake_app(config: Config) -> Callable[..., OpskitApp]:
    """``fake_app(source=None, envs=(), read_only=False)``: an app over fixed data."""

    def build(*args: Any, **kwargs: Any) -> OpskitApp:
        return build_app(config, *args, **kwargs)

    return build
