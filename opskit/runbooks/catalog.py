"""Finding and inspecting the runbooks: the ``.ipynb`` files in the runbooks folder.

A runbook's name is its file name without ``.ipynb``. Its parameters come from
``papermill.inspect_notebook`` (the ``parameters`` cell), its description and access level
from ``metadata.opskit``, its title from the first Markdown heading (see ``schema``).
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from opskit.config import Config
from opskit.errors import ConfigError, UsageError
from opskit.runbooks.schema import RunbookSpec, spec_from_inspection


def notebooks_dir(config: Config) -> Path:
    """The runbooks folder: ``[runbooks] path``, relative to environments.toml."""
    path = Path(config.runbooks.path).expanduser()
    return path if path.is_absolute() else (config.path.parent / path).resolve()


def runbook_names(config: Config) -> list[str]:
    """Every runbook's name, sorted."""
    folder = notebooks_dir(config)
    if not folder.is_dir():
        raise ConfigError(f"{config.path}: runbooks.path: no folder {folder}")
    return sorted(p.stem for p in folder.glob("*.ipynb") if not p.name.startswith("."))


def runbook_path(config: Config, name: str) -> Path:
    """The notebook of runbook ``name``; UsageError naming the known ones (did you mean)."""
    names = runbook_names(config)
    if name not in names:
        guess = difflib.get_close_matches(name, names, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else f" (known: {', '.join(names)})"
        raise UsageError(f"unknown runbook '{name}'{hint}")
    return notebooks_dir(config) / f"{name}.ipynb"


def sha256_file(path: Path) -> str:
    """The SHA-256 (hex) of a file's bytes: what the journal calls the notebook's hash."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def inspect(config: Config, name: str) -> RunbookSpec:
    """The runbook's spec: parameters (papermill's inspection), description, access."""
    path = runbook_path(config, name)
    notebook = _read(path)
    metadata = notebook.get("metadata", {})
    if not metadata.get("kernelspec", {}).get("language"):
        raise ConfigError(f"{path}: metadata.kernelspec.language is missing (papermill needs it)")
    inspected = _inspection(path)
    missed = [n for n in _assigned(notebook, path) if n not in inspected]
    if missed:
        raise ConfigError(
            f"{path}: parameter '{missed[0]}' cannot be read by papermill "
            "(one assignment per line; no '=' in its comment)"
        )
    try:
        return spec_from_inspection(
            name, str(path), inspected, metadata.get("opskit", {}), _title(notebook, name)
        )
    except UsageError as error:
        raise ConfigError(f"{path}: {error}") from None


def inspect_all(config: Config) -> list[RunbookSpec]:
    """Every runbook's spec, sorted by name."""
    return [inspect(config, name) for name in runbook_names(config)]


def import_papermill() -> Any:
    """papermill, imported without jsonschema's optional IRI format checker.

    nbformat imports jsonschema, which imports ``rfc3987_syntax`` when it is installed (a
    dependency of JupyterLab's): building its grammar costs over a second of CPU on every
    import, and notebooks never use IRI formats. The block is lifted right after.
    """
    if "papermill" in sys.modules:
        return sys.modules["papermill"]
    block = "rfc3987_syntax" not in sys.modules
    if block:
        sys.modules["rfc3987_syntax"] = None  # type: ignore[assignment]
    try:
        import papermill
    finally:
        if block and sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]
    return papermill


def _inspection(path: Path) -> dict[str, Any]:
    """``papermill.inspect_notebook(path)``, cached by the notebook's hash: importing
    papermill takes seconds, and validating a run should not."""
    from opskit.paths import cache_dir

    cached = cache_dir() / "runbooks" / f"{sha256_file(path)}.json"
    try:
        data = json.loads(cached.read_text())
        if isinstance(data, dict):
            return data
    except (OSError, ValueError):
        pass
    inspected = dict(import_papermill().inspect_notebook(str(path)))
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(inspected))
        os.replace(tmp, cached)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return inspected


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ConfigError(f"{path}: not a readable notebook: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: not a notebook")
    return data


def _assigned(notebook: dict[str, Any], path: Path) -> list[str]:
    """Names the ``parameters`` cell assigns, as Python reads it."""
    for cell in notebook.get("cells", []):
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            try:
                tree = ast.parse(text)
            except SyntaxError as error:
                raise ConfigError(f"{path}: parameters cell: {error}") from None
            return [
                target.id
                for node in tree.body
                if isinstance(node, ast.Assign | ast.AnnAssign)
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
                if isinstance(target, ast.Name)
            ]
    return []


def _title(notebook: dict[str, Any], fallback: str) -> str:
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        source = cell.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        for line in text.splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return fallback
