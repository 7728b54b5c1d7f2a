"""The shipped runbooks themselves: clean, self-explaining, safe by default, opskit only."""

from __future__ import annotations

import ast
import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from opskit.config import load_config
from opskit.runbooks.catalog import inspect, runbook_names

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
EXPECTED = {
    "deploy", "scale", "restart", "rollback", "elb-draining", "traffic-shift", "drift",
    "access-review", "costs", "monitors",
}  # fmt: skip
CONFIG = load_config(ROOT / "environments.toml")
NAMES = runbook_names(CONFIG)


def notebook(name: str) -> dict[str, Any]:
    return dict(json.loads((NOTEBOOKS / f"{name}.ipynb").read_text()))


def source(cell: dict[str, Any]) -> str:
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else str(text)


def test_every_runbook_the_issue_names_is_there() -> None:
    assert set(NAMES) >= EXPECTED, sorted(EXPECTED - set(NAMES))


def test_the_notebooks_are_built_from_their_sources() -> None:
    spec = importlib.util.spec_from_file_location("build", NOTEBOOKS / "build.py")
    assert spec and spec.loader
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert build.build(check=True) == [], "run: python notebooks/build.py"


@pytest.mark.parametrize("name", NAMES)
def test_a_runbook_is_clean_and_explains_itself(name: str) -> None:
    nb = notebook(name)
    assert nb["metadata"]["kernelspec"] == {
        "name": "opskit", "display_name": "Python (opskit)", "language": "python",
    }  # fmt: skip
    header = source(nb["cells"][0])
    assert nb["cells"][0]["cell_type"] == "markdown" and header.startswith("# ")
    for part in ("**What it does.**", "**Risks.**", "**Rollback.**", "**Run it.**"):
        assert part in header, f"{name}: header lacks {part}"
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    tagged = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(tagged) == 1
    assert nb["metadata"]["opskit"]["description"]


@pytest.mark.parametrize("name", NAMES)
def test_a_runbook_calls_opskit_and_nothing_else(name: str) -> None:
    for cell in notebook(name)["cells"]:
        if cell["cell_type"] != "code":
            continue
        text = source(cell)
        assert "boto" not in text, f"{name}: no boto3 in notebooks, only opskit"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert roots == {"opskit"}, f"{name}: imports {roots}"


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_typed_and_changes_are_dry_runs_by_default(name: str) -> None:
    spec = inspect(CONFIG, name)
    for param in spec.params:
        assert param.help, f"{name}.{param.name} needs a help comment"
    if spec.changes:
        assert spec.param("apply") and spec.param("apply").default is False  # type: ignore[union-attr]
        assert spec.param("confirm") and spec.param("confirm").default == ""  # type: ignore[union-attr]
        assert spec.param("env") and spec.param("env").required  # type: ignore[union-attr]
        assert spec.access in ("deploy", "admin")
