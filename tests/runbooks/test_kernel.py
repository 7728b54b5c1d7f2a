"""The opskit kernelspec: this interpreter, written once, found by JupyterLab."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from opskit.runbooks.kernel import KERNEL_NAME, ensure_kernelspec, lab_command


def test_the_kernelspec_points_at_this_interpreter_and_is_refreshed(tmp_path: Path) -> None:
    folder = ensure_kernelspec(tmp_path)
    spec = json.loads((folder / "kernel.json").read_text())
    assert folder.name == KERNEL_NAME
    assert spec["argv"][0] == sys.executable and spec["language"] == "python"
    (folder / "kernel.json").write_text(json.dumps({**spec, "argv": ["/old/python"]}))
    ensure_kernelspec(tmp_path)
    assert json.loads((folder / "kernel.json").read_text())["argv"][0] == sys.executable


def test_jupyterlab_gets_the_kernel_and_the_config(tmp_path: Path) -> None:
    argv, env = lab_command(
        tmp_path / "nb", tmp_path, tmp_path / "environments.toml", ["--no-browser"]
    )
    assert argv[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path / 'nb'}" in argv and argv[-1] == "--no-browser"
    assert ("--allow-root" in argv) == (os.geteuid() == 0)
    assert env["JUPYTER_PATH"].split(":")[0] == str(tmp_path / "jupyter")
    assert env["OPSKIT_CONFIG"] == str(tmp_path / "environments.toml")
    assert (tmp_path / "jupyter" / "kernels" / KERNEL_NAME / "kernel.json").is_file()
