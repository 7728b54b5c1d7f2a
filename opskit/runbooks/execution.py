"""Executing one notebook with papermill on the opskit kernel, streaming progress.

A papermill engine (``opskit``) wraps papermill's own nbclient engine to report each code
cell as it starts (``[3/8] Plan the deploy``); the kernel's stdout and stderr are streamed
line by line, redacted, as they arrive. The executed notebook is always returned, also when
a cell failed or the run was interrupted, so the caller can archive it.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opskit.audit import Redactor
from opskit.runbooks.catalog import import_papermill
from opskit.runbooks.kernel import KERNEL_LOG, KERNEL_NAME, kernel_manager_class
from opskit.runbooks.redact import redact_text

ENGINE_NAME = "opskit"
Say = Callable[[str], None]


@dataclass
class Execution:
    """How an execution ended: the notebook as executed, and the failure if there was one."""

    notebook: dict[str, Any]
    ename: str | None = None  # the class name of the error that stopped it
    evalue: str = ""


class LineStream:
    """A file-like sink that emits whole, redacted lines (papermill's stdout_file)."""

    def __init__(self, say: Say, redactor: Redactor, prefix: str = "  ") -> None:
        self.say, self.redactor, self.prefix = say, redactor, prefix
        self._buffer = ""

    def write(self, text: str) -> int:
        self._buffer += text
        *lines, self._buffer = self._buffer.split("\n")
        for line in lines:
            self.say(self.prefix + redact_text(line.rstrip("\r"), self.redactor))
        return len(text)

    def flush(self) -> None:
        """Lines are emitted as they complete; a partial line waits for its end."""

    def close(self) -> None:
        if self._buffer:
            self.write("\n")


def cell_label(cell: Any) -> str:
    """A short name for a code cell: its leading comment, or its first line."""
    tags = cell.get("metadata", {}).get("tags", [])
    if "injected-parameters" in tags:
        return "parameters (given)"
    if "parameters" in tags:
        return "parameters (defaults)"
    lines = [line.strip() for line in str(cell.get("source", "")).splitlines() if line.strip()]
    if not lines:
        return "(empty)"
    first = lines[0]
    return first.lstrip("#").strip() if first.startswith("#") else first[:60]


def step_label(notebook: dict[str, Any], index: int) -> str:
    """``step 4/6 (Plan the deploy)``: cell ``index`` counted among the code cells."""
    cells = notebook.get("cells", [])
    code = [i for i, c in enumerate(cells) if c.get("cell_type") == "code"]
    if index not in code:
        return f"cell {index + 1}"
    cell = {**cells[index], "source": "".join(cells[index].get("source", ""))}
    return f"step {code.index(index) + 1}/{len(code)} ({cell_label(cell)})"


def _log_tail(path: Path, lines: int = 20) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return []


def failed_cell(notebook: dict[str, Any]) -> int | None:
    """The index of the cell papermill marked as raising, if any."""
    for index, cell in enumerate(notebook.get("cells", [])):
        if cell.get("metadata", {}).get("papermill", {}).get("exception"):
            return index
    return None


def _register_engine() -> None:
    from papermill.engines import NBClientEngine, papermill_engines

    class ProgressEngine(NBClientEngine):  # type: ignore[misc]
        """papermill's nbclient engine, telling ``on_cell`` as each cell starts."""

        @classmethod
        def execute_managed_notebook(
            cls, nb_man: Any, kernel_name: str, on_cell: Callable[[Any, int], None] | None = None,
            **kwargs: Any,
        ) -> Any:  # fmt: skip
            if on_cell is not None:
                start = nb_man.cell_start

                def cell_start(cell: Any, cell_index: int | None = None, **kw: Any) -> Any:
                    on_cell(nb_man.nb, cell_index or 0)
                    return start(cell, cell_index, **kw)

                nb_man.cell_start = cell_start
            return super().execute_managed_notebook(nb_man, kernel_name, **kwargs)

    papermill_engines.register(ENGINE_NAME, ProgressEngine)


def execute(
    path: Path,
    params: dict[str, Any],
    *,
    state_dir: Path,
    run_env: dict[str, str],
    redactor: Redactor,
    say: Say,
    start_timeout: int = 60,
    cell_timeout: int | None = None,
) -> Execution:
    """Run the notebook at ``path`` with ``params``; never raises for a failing cell."""
    papermill = import_papermill()
    from papermill.exceptions import PapermillExecutionError

    _register_engine()
    out_stream = LineStream(say, redactor)
    err_stream = LineStream(say, redactor, prefix="  ! ")

    def on_cell(nb: Any, index: int) -> None:
        if nb.cells[index].cell_type == "code":
            say(step_label(nb, index))

    # The unredacted output (and the kernel's sockets) live only in a private temporary
    # folder, removed on return.
    with tempfile.TemporaryDirectory(prefix="opskit-run-") as tmp:
        output = Path(tmp) / path.name
        managers = kernel_manager_class(state_dir, run_env, Path(tmp))
        result = Execution(notebook={})
        try:
            papermill.execute_notebook(
                str(path), str(output), parameters=params, engine_name=ENGINE_NAME,
                kernel_name=KERNEL_NAME, language="python", progress_bar=False,
                stdout_file=out_stream, stderr_file=err_stream, start_timeout=start_timeout,
                execution_timeout=cell_timeout, cwd=str(path.parent),
                kernel_manager_class=managers, on_cell=on_cell,
            )  # fmt: skip
        except PapermillExecutionError as error:
            result = Execution({}, error.ename, error.evalue)
        except KeyboardInterrupt:
            result = Execution({}, "KeyboardInterrupt", "interrupted")
        except Exception as error:  # the kernel itself failed: show why, from its own log
            result = Execution({}, type(error).__name__, str(error))
            for line in _log_tail(Path(tmp) / KERNEL_LOG):
                say(f"  kernel: {redact_text(line, redactor)}")
        finally:
            out_stream.close()
            err_stream.close()
        source = output if output.exists() else path
        result.notebook = json.loads(source.read_text(encoding="utf-8"))
        return result
