"""Paths in environments.toml checked for what they must be, at load.

``journal = "/var/lib/opskit"`` (a folder) used to pass ``config check`` and fail on the
first change (exit 1). Each path setting here is a file or a folder; an existing path of the
other kind, or an existing *file* where a parent folder must be, is refused up front. A path
that does not exist yet is fine (opskit creates it) unless it could never be created.
Relative paths are relative to environments.toml, as the rest of opskit reads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from opskit.config.model import Config

Problem = tuple[tuple[str, ...], str]
Kind = Literal["file", "folder"]


def check_paths(config: Config, base: Path) -> list[Problem]:
    """Every path setting whose target exists as the wrong kind, in file order."""
    settings: list[tuple[tuple[str, ...], str | None, Kind]] = [
        (("costs", "cur_path"), config.costs.cur_path, "folder"),
        (("datadog", "api_key"), _file_ref(config.datadog.api_key), "file"),
        (("datadog", "app_key"), _file_ref(config.datadog.app_key), "file"),
        (("audit", "journal"), config.audit.journal, "file"),
        (("runbooks", "path"), config.runbooks.path, "folder"),
        (("runbooks", "archive"), config.runbooks.archive, "folder"),
    ]
    return [
        (key, problem)
        for key, value, kind in settings
        if value and not value.startswith("s3://")
        for problem in _problems(_resolve(value, base), kind)
    ]


def _file_ref(reference: str) -> str | None:
    return reference.removeprefix("file:") if reference.startswith("file:") else None


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path


def _problems(path: Path, kind: Kind) -> Iterator[str]:
    if kind == "file" and path.is_dir():
        yield f"{path} is a folder; a file path is needed here"
    elif kind == "folder" and path.exists() and not path.is_dir():
        yield f"{path} is a file; a folder is needed here"
    else:
        for parent in path.parents:
            if parent.exists():
                if not parent.is_dir():
                    yield f"{parent} is a file, so {path} can never be created"
                break
