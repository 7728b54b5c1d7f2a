"""The ``opskit`` Jupyter kernel: this very interpreter, so notebooks import this opskit.

``ensure_kernelspec`` writes ``<state dir>/jupyter/kernels/opskit/kernel.json`` pointing at
``sys.executable`` (rewritten when another interpreter ran last). Runbook runs use it through
a kernel manager that adds the run's environment variables to the kernel's environment;
``lab_command`` opens JupyterLab on the runbooks folder with that kernel on its path.
``install`` registers the same kernel in ``<sys.prefix>/share/jupyter/kernels`` (first use
does it too), so Jupyter's own tools run the notebooks straight from the venv.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

from opskit.errors import UsageError

KERNEL_NAME = "opskit"
KERNEL_LOG = "kernel.log"
DISPLAY_NAME = "Python (opskit)"


def kernels_root(state_dir: Path) -> Path:
    """The Jupyter data folder holding the opskit kernelspec (``…/jupyter``)."""
    return state_dir / "jupyter"


def kernelspec(executable: str | None = None) -> dict[str, Any]:
    """The kernel.json of the opskit kernel for ``executable`` (default: this one)."""
    return {
        "argv": [
            executable or sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            # A parameters cell `env: str = "dev"` alone would run as the `%env` magic
            # (IPython's automagic): runbooks are plain Python, magics need their `%`.
            "--InteractiveShell.automagic=False",
        ],
        "display_name": DISPLAY_NAME,
        "language": "python",
        "metadata": {"debugger": True},
    }


def ensure_kernelspec(state_dir: Path) -> Path:
    """Write (or refresh) the opskit kernelspec; return its folder."""
    return _write_spec(kernels_root(state_dir) / "kernels" / KERNEL_NAME)


def _write_spec(folder: Path) -> Path:
    """``folder/kernel.json`` as ``kernelspec()`` says, unless it already is; OSError as is."""
    wanted = kernelspec()
    path = folder / "kernel.json"
    try:
        if json.loads(path.read_text()) == wanted:
            return folder
    except (OSError, ValueError):
        pass
    folder.mkdir(parents=True, exist_ok=True)
    # A file of its own per writer: runs started together write the same spec at once.
    tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(wanted, indent=1) + "\n")
    os.replace(tmp, path)
    return folder


def jupyter_kernels_dir(prefix: Path | None = None) -> Path:
    """Where Jupyter looks for this environment's kernels: ``<sys.prefix>/share/jupyter/kernels``
    (``jupyter kernelspec list`` shows it), so ``jupyter nbconvert --execute`` and
    ``papermill`` run from this venv find the opskit kernel without ``JUPYTER_PATH``."""
    return Path(prefix or sys.prefix) / "share" / "jupyter" / "kernels"


def install(prefix: Path | None = None) -> Path:
    """Register the opskit kernel where Jupyter looks (idempotent); its folder."""
    folder = jupyter_kernels_dir(prefix) / KERNEL_NAME
    try:
        return _write_spec(folder)
    except OSError as error:  # a prefix that is a file, not writable…: a bad --prefix
        raise UsageError(f"cannot register the kernel in {folder}: {error.strerror}") from None


def install_quietly() -> Path | None:
    """``install()`` on first use; a read-only environment (a system Python) is no error:
    ``opskit runbook kernel install --prefix`` can register it elsewhere."""
    try:
        return install()
    except (OSError, UsageError):
        return None


def kernel_manager_class(state_dir: Path, run_env: dict[str, str], run_dir: Path) -> type[Any]:
    """A kernel manager class for the opskit kernel whose kernel also gets ``run_env``.

    nbclient makes (and so owns, and shuts down) one instance per execution. The kernel
    talks over Unix sockets in ``run_dir`` (private to the run; TCP on Windows), and its
    own stdout/stderr (not the cells' output, which travels as messages) go to
    ``run_dir/kernel.log``, so its shutdown chatter never reaches the terminal.
    """
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager

    folder = ensure_kernelspec(state_dir)
    install_quietly()  # first use registers it for Jupyter's own tools too
    # Unix sockets where there are any: nothing listens on TCP, nothing to warn about.
    ipc = os.name != "nt"

    class RunKernelManager(AsyncKernelManager):
        """Starts the kernel with the run's variables on top of this process's environment."""

        def __init__(self, **kw: Any) -> None:
            kw.setdefault(
                "kernel_spec_manager", KernelSpecManager(kernel_dirs=[str(folder.parent)])
            )
            if ipc:
                kw.setdefault("transport", "ipc")
                kw.setdefault("ip", str(run_dir / "kernel"))
            super().__init__(**kw)

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            kw["env"] = {**os.environ, **kw.get("env", {}), **run_env}
            with (run_dir / KERNEL_LOG).open("ab") as log:
                kw["stdout"] = kw["stderr"] = log
                await super().start_kernel(**kw)

    return RunKernelManager


def lab_command(
    notebooks: Path, state_dir: Path, config_path: Path, extra: list[str] | None = None
) -> tuple[list[str], dict[str, str]]:
    """The JupyterLab command line and environment for ``opskit notebooks``."""
    ensure_kernelspec(state_dir)
    install_quietly()
    jupyter_path = os.pathsep.join(
        p for p in (str(kernels_root(state_dir)), os.environ.get("JUPYTER_PATH", "")) if p
    )
    env = {**os.environ, "JUPYTER_PATH": jupyter_path, "OPSKIT_CONFIG": str(config_path)}
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={notebooks}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers run as root; JupyterLab refuses otherwise
    return [*argv, *(extra or [])], env
