"""The runbook machinery loads papermill, Jupyter and pandas only when a run needs them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = {"papermill", "nbformat", "nbclient", "jupyter_client", "pandas", "IPython", "jsonschema"}


def test_importing_the_runbook_modules_is_cheap() -> None:
    code = (
        "import sys, json\n"
        "import opskit.runbooks, opskit.runbooks.runner, opskit.runbooks.kit, opskit.cli.runbook\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert not HEAVY & set(json.loads(out.stdout))
