"""Importing opskit stays cheap: no Textual, papermill or pandas until a feature needs them."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("textual", "papermill", "pandas", "pyarrow", "matplotlib", "datadog_api_client")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return {name.split(".")[0] for name in json.loads(out.stdout)}


@pytest.mark.parametrize(
    "statement",
    [
        "import opskit",
        "import opskit.config, opskit.accounts, opskit.workspace",
        "import opskit.cli.main",
    ],
)
def test_import_loads_nothing_heavy(statement: str) -> None:
    loaded = _loaded_after(statement)
    assert not loaded & set(HEAVY), f"{statement} loaded {sorted(loaded & set(HEAVY))}"


def test_cli_module_does_not_load_boto3() -> None:
    """`opskit --help` must start fast: the command modules import AWS lazily."""
    loaded = _loaded_after("import opskit.cli.main")
    assert "boto3" not in loaded
    assert "botocore" not in loaded


# -- the walls that import-linter cannot see --------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]


def _import_cycles(package: str) -> list[list[str]]:
    """Strongly connected groups of modules (lazy and TYPE_CHECKING imports count too)."""
    import grimp

    graph = grimp.build_graph(package)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:  # Tarjan
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for other in graph.find_modules_directly_imported_by(module):
            if other not in index:
                visit(other)
                low[module] = min(low[module], low[other])
            elif other in on_stack:
                low[module] = min(low[module], index[other])
        if low[module] == index[module]:
            group = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                group.append(other)
                if other == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_opskit_has_no_import_cycles() -> None:
    """A report that renders itself and a collector its detail reader imports were cycles;
    none may come back, not even through a lazy or type-only import."""
    assert _import_cycles("opskit") == []


def _contracts() -> list[dict[str, object]]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contracts: list[dict[str, object]] = config["contracts"]
    return contracts


def test_contracts_have_no_exemptions() -> None:
    assert [c["name"] for c in _contracts() if c.get("ignore_imports")] == []


def test_every_opskit_module_sits_in_a_layer() -> None:
    """A new top-level module must be placed in the layers contract, or no wall sees it."""
    import pkgutil

    import opskit

    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    named = {
        name.strip()
        for layer in layers["layers"]  # type: ignore[attr-defined]
        for name in str(layer).replace(":", "|").split("|")
    }
    children = {f"opskit.{m.name}" for m in pkgutil.iter_modules(opskit.__path__)}
    assert children - named == set()


def test_gateway_signatures_use_the_stub_types() -> None:
    """Public gateway functions and methods take and return boto3 stub types, not Any.

    Exempt: Cost Explorer pages (cached on disk as JSON, read back as plain dicts), the team
    journal's JSON documents read from S3 (``get_json``: any JSON object) and botocore's
    timestamp parser hook (botocore hands it anything)."""
    import ast

    exempt = {("ce.py", "pages"), ("s3.py", "get_json"), ("timestamps.py", "parse_timestamp")}
    loose = []
    for path in sorted((ROOT / "opskit" / "aws").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef) or (path.name, node.name) in exempt:
                continue
            if node.name.startswith("_") and node.name != "__init__":
                continue
            arguments = [*node.args.args, *node.args.kwonlyargs]
            hints = [a.annotation for a in arguments if a.annotation] + [node.returns]
            if any(h is not None and "Any" in ast.unparse(h) for h in hints):
                loose.append(f"{path.name}:{node.name}")
    assert loose == []
