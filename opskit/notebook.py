"""The notebook front end: what a runbook notebook calls first to open its session.

    from opskit import notebook
    rb = notebook.start(env, apply=apply, confirm=confirm)

Like the CLI and the TUI, a notebook is a front end: it opens the workspace through the
composition root (``opskit.workspace``) and hands it to the runbook kit
(``opskit.runbooks.kit``), which never opens one itself. The front end is ``runbook`` when
``opskit runbook run`` started the kernel, else ``notebook`` (someone in JupyterLab).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opskit.context import Workspace
    from opskit.runbooks.kit import Runbook


def start(
    env: str | None = None,
    *,
    apply: bool = False,
    confirm: str = "",
    workspace: Workspace | None = None,
) -> Runbook:
    """Open the workspace (unless given one) and start this notebook's runbook session."""
    from opskit.runbooks import kit
    from opskit.workspace import open_workspace

    origin = kit.notebook_origin()
    ws = workspace or open_workspace(front_end=origin.front_end)
    return kit.start(env, apply=apply, confirm=confirm, workspace=ws, origin=origin)
