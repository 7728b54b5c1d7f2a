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
