"""The pieces of a run that need no kernel: progress lines, step names, exit codes."""

from __future__ import annotations

from typing import Any

from opskit.audit import Redactor
from opskit.errors import ExitCode
from opskit.runbooks.execution import LineStream, cell_label, failed_cell, step_label
from opskit.runbooks.runner import _exit_code


def test_kernel_output_is_streamed_as_whole_redacted_lines() -> None:
    lines: list[str] = []
    stream = LineStream(lines.append, Redactor(values=["s3cr3t-value"]))
    stream.write("planning")
    stream.write(" deploy\nDATABASE_PASSWORD=hunter2 and s3cr3t-value\npartial")
    assert lines == ["  planning deploy", "  DATABASE_PASSWORD=*** and ***"]
    stream.close()
    assert lines[-1] == "  partial"


NOTEBOOK: dict[str, list[dict[str, Any]]] = {
    "cells": [
        {"cell_type": "markdown", "source": "# Title"},
        {"cell_type": "code", "source": "x = 1", "metadata": {"tags": ["parameters"]}},
        {"cell_type": "code", "source": "x = 2", "metadata": {"tags": ["injected-parameters"]}},
        {"cell_type": "markdown", "source": "## Plan"},
        {"cell_type": "code", "source": ["# Plan the deploy\n", "plan = 1"], "metadata": {}},
        {
            "cell_type": "code",
            "source": "rb.apply(plan)",
            "metadata": {"papermill": {"exception": True}},
        },
    ]
}


def test_steps_are_named_by_their_leading_comment() -> None:
    cells = NOTEBOOK["cells"]
    assert cell_label({**cells[4], "source": "".join(cells[4]["source"])}) == "Plan the deploy"
    assert cell_label(cells[5]) == "rb.apply(plan)"
    assert step_label(NOTEBOOK, 1) == "step 1/4 (parameters (defaults))"
    assert step_label(NOTEBOOK, 2) == "step 2/4 (parameters (given))"
    assert step_label(NOTEBOOK, 4) == "step 3/4 (Plan the deploy)"
    assert failed_cell(NOTEBOOK) == 5
    assert failed_cell({"cells": NOTEBOOK["cells"][:5]}) is None


def test_the_error_a_cell_raised_decides_the_exit_code() -> None:
    import opskit.changes  # noqa: F401  (ChangeNotApplied is defined there)

    assert _exit_code("ChangeNotApplied") is ExitCode.CHANGE_FAILED
    assert _exit_code("RefusedError") is ExitCode.REFUSED
    assert _exit_code("AuthError") is ExitCode.AUTH
    assert _exit_code("UsageError") is ExitCode.USAGE
    assert _exit_code("KeyboardInterrupt") is ExitCode.INTERRUPTED
    assert _exit_code("ZeroDivisionError") is ExitCode.FAILURE
