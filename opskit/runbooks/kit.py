"""What a runbook notebook calls, so each notebook stays a short, readable checklist.

    from opskit import notebook
    rb = notebook.start(env, apply=apply, confirm=confirm)  # who, where, dry run or apply
    plan = rb.plan(DeployChange(env, ("api",), ("1.43.0",)))  # the plan, as a table
    rb.apply(plan)                                       # engine + guard; or "dry run"
    rb.finish()                                          # what happened, as a table

The front end is ``runbook`` when ``opskit runbook run`` started the kernel (the run's id,
notebook hash and archive path then reach every journal record), else ``notebook``: a
person running it by hand in JupyterLab, recorded with the notebook's name and hash.
Tables are pandas DataFrames; lines of progress are printed (the runner streams them).
``start`` is handed the workspace: the notebook front end (``opskit.notebook``) opens it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opskit.audit import Origin, RunbookRun, origin_from_environ
from opskit.config import Config
from opskit.context import Workspace

if TYPE_CHECKING:
    import pandas as pd

    from opskit.changes import Change, Engine, Plan, Result


def start(
    env: str | None = None,
    *,
    apply: bool = False,
    confirm: str = "",
    workspace: Workspace,
    origin: Origin | None = None,
) -> Runbook:
    """This notebook's session in ``workspace``; shows who acts where, and how."""
    origin = origin or notebook_origin()
    ws = workspace
    if env is not None:
        ws.config.environment(env)
    book = Runbook(ws, origin, env, apply, confirm)
    book.header()
    return book


def notebook_origin(environ: Mapping[str, str] | None = None) -> Origin:
    """``runbook`` when started by the runner, else ``notebook`` (with the notebook's name
    and hash when JupyterLab says which notebook this kernel serves)."""
    env = os.environ if environ is None else environ
    origin = origin_from_environ("notebook", env)
    if origin.runbook is not None:
        return origin
    path = _session_notebook(env.get("JPY_SESSION_NAME", ""))
    if path is None:
        return origin
    from opskit.runbooks.catalog import sha256_file

    return Origin("notebook", RunbookRun(path.stem, notebook_sha256=sha256_file(path)))


@dataclass
class Runbook:
    """One notebook's session: the workspace, the engine, and what it has done so far."""

    ws: Workspace
    origin: Origin
    env: str | None = None
    apply_changes: bool = False
    confirm: str = ""
    done: list[dict[str, Any]] = field(default_factory=list)
    _engine: Engine | None = None

    @property
    def config(self) -> Config:
        return self.ws.config

    @property
    def engine(self) -> Engine:
        """The change engine, journaling with this notebook's origin."""
        if self._engine is None:
            from opskit.changes import Engine

            self._engine = Engine.from_workspace(self.ws, origin=self.origin, progress=say)
        return self._engine

    def header(self) -> None:
        """Who acts, where, how: shown first so the archived copy says it too."""
        run = self.origin.runbook
        who = self.ws.accounts.whoami()
        row = {
            "user": who.user_name,
            "environment": self.env or "-",
            "account": self.config.environment(self.env).account_id if self.env else "-",
            "mode": "APPLY" if self.apply_changes else "dry run (nothing is changed)",
            "front end": self.origin.front_end,
            "run": (run.run_id or "by hand") if run else "by hand",
            "archive": (run.archive_path or "-") if run else "-",
        }
        show([{"field": k, "value": v} for k, v in row.items()], title="Runbook session")

    def plan(self, change: Change) -> Plan:
        """Plan ``change`` against live state and show its diffs; nothing is changed."""
        plan = self.engine.plan(change)
        show_plan(plan)
        return plan

    def apply(self, plan: Plan) -> Result | None:
        """Apply ``plan`` through the engine (guard, lock, journal, verify) when ``apply``
        is on; else say it was a dry run. A refused or failed change raises after showing
        its outcome, so the notebook (and the run) fails."""
        from opskit.changes import ChangeNotApplied
        from opskit.errors import RefusedError

        if not self.apply_changes:
            say(f"dry run: {plan.summary} was NOT applied (set apply = True or pass --apply)")
            self.done.append(_row(plan, "planned (dry run)", ""))
            return None
        try:
            result = self.engine.apply(plan, confirm=self.confirm or None, ask=self._ask())
        except ChangeNotApplied as failure:
            self.done.append(_row(plan, failure.result.outcome, failure.result.detail))
            show(self.done[-1:], title="Outcome")
            raise
        except Exception as error:
            outcome = "refused" if isinstance(error, RefusedError) else "failed"
            self.done.append(_row(plan, outcome, str(error)))
            show(self.done[-1:], title="Outcome")
            raise
        self.done.append(_row(plan, result.outcome, result.detail))
        say(f"{plan.change} on {plan.env}: {result.outcome} ({result.detail})")
        return result

    def finish(self) -> None:
        """Every change this notebook planned or applied, and how each ended."""
        show(self.done or [{"change": "-", "outcome": "nothing planned"}], title="Outcome")

    def _ask(self) -> Any:
        """A prompt for a protected environment's name, only where someone can answer:
        in batch (papermill, nbconvert) the guard refuses with its own message instead."""
        if self.origin.front_end != "notebook" or not can_prompt():
            return None
        return lambda plan: input(f"{plan.env} is protected: type its name to apply: ")


def can_prompt() -> bool:
    """Whether ``input()`` reaches a person: a kernel whose client allows stdin (JupyterLab;
    papermill and nbconvert do not), or a terminal outside a kernel."""
    import sys

    shell_module = sys.modules.get("IPython")
    shell = shell_module.get_ipython() if shell_module is not None else None
    kernel = getattr(shell, "kernel", None)
    if kernel is not None:
        return bool(getattr(kernel, "_allow_stdin", False))
    stdin = sys.stdin
    return stdin is not None and stdin.isatty()


def say(message: str) -> None:
    """One line of progress (the runner streams it to the terminal as it happens)."""
    print(message, flush=True)


def table(
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame, columns: list[str] | None = None
) -> pd.DataFrame:
    """Rows of dicts (or a DataFrame) as a DataFrame, columns in the given order."""
    import pandas as pd

    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    if columns:
        frame = frame.reindex(columns=columns)
    return frame


def show(
    rows: Iterable[Mapping[str, Any]] | pd.DataFrame,
    *,
    title: str | None = None,
    columns: list[str] | None = None,
) -> None:
    """Display a table (HTML in Jupyter, text elsewhere) under an optional title."""
    _display(table(rows, columns), title)


def chart(svg: str, title: str | None = None) -> None:
    """Display an SVG chart (e.g. from ``opskit.costs.html``) under an optional title."""
    from IPython.display import SVG

    _display(SVG(data=svg), title)  # type: ignore[no-untyped-call]


def show_plan(plan: Plan) -> None:
    """A plan as one line of summary and a table of its diffs (before -> after)."""
    say(f"plan {plan.id}: {plan.summary} ({len(plan.diffs)} change(s), needs {plan.access})")
    rows = [
        {"resource": d.resource, "field": d.field, "before": d.before, "after": d.after}
        for d in plan.diffs
    ]
    if not rows:
        say("nothing to change: live state already matches")
    show(rows, title=f"Plan {plan.id}", columns=["resource", "field", "before", "after"])


def _row(plan: Plan, outcome: str, detail: str) -> dict[str, Any]:
    return {
        "plan": plan.id,
        "change": plan.change,
        "env": plan.env,
        "summary": plan.summary,
        "outcome": outcome,
        "detail": detail,
    }


def _display(item: Any, title: str | None) -> None:
    """Show in Jupyter when there is a kernel, else print (tests, plain Python)."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        get_ipython = None
    if get_ipython is None or get_ipython() is None:
        print(*([title] if title else []), item, sep="\n")
        return
    if title:
        display(Markdown(f"**{title}**"))  # type: ignore[no-untyped-call]
    display(item)  # type: ignore[no-untyped-call]


def _session_notebook(name: str) -> Path | None:
    """The notebook file JupyterLab names in JPY_SESSION_NAME, if it exists."""
    if not name.endswith(".ipynb"):
        return None
    path = Path(name)
    for candidate in (path, Path.cwd() / path.name):
        if candidate.is_file():
            return candidate.resolve()
    return None
