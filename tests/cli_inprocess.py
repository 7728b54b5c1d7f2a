"""``opskit_inprocess``: one `opskit` command line run in the test's own process.

Through ``opskit.cli.main.invoke``, the console script's own error boundary (``opskit`` is
``sys.exit(invoke())``), with the given environment, working directory and an empty stdin;
the answer is a ``subprocess.CompletedProcess`` like ``subprocess.run`` gives. A separate
process costs about a second of CPU per line (interpreter, imports, botocore's models), and
a suite of hundreds of lines pays it hundreds of times. Tests about the process boundary
itself (exit status of the installed script, signals, a second process racing the first)
still start a real `opskit`.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest


def opskit_inprocess(
    env: Mapping[str, str], *args: str, cwd: Path | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """``opskit ARGS`` as ``subprocess.run([opskit, *args], env=env, cwd=cwd, …)`` answers."""
    from opskit.cli.main import invoke

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in set(os.environ) - set(env):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        if cwd is not None:
            patch.chdir(cwd)
        patch.setattr(sys, "stdin", io.StringIO(stdin))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = invoke(list(args))
    return subprocess.CompletedProcess(["opskit", *args], code, out.getvalue(), err.getvalue())

