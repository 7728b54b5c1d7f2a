"""Where a change comes from: the front end and, for runbooks, which run of which notebook.

Every journal record carries an ``Origin``. Front ends pass their own (``cli``, ``tui``,
``notebook``); the runbook runner sets ``OPSKIT_RUNBOOK``, ``OPSKIT_RUN_ID``,
``OPSKIT_NOTEBOOK_SHA256`` and ``OPSKIT_ARCHIVE_PATH`` for the kernel it starts, and
``origin_from_environ`` turns them into the runbook context, so a change made from inside
a notebook names the run that made it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

FrontEnd = Literal["cli", "tui", "notebook", "runbook"]
FRONT_ENDS: tuple[FrontEnd, ...] = ("cli", "tui", "notebook", "runbook")

ENV_RUNBOOK = "OPSKIT_RUNBOOK"
ENV_RUN_ID = "OPSKIT_RUN_ID"
ENV_NOTEBOOK_SHA256 = "OPSKIT_NOTEBOOK_SHA256"
ENV_ARCHIVE_PATH = "OPSKIT_ARCHIVE_PATH"


@dataclass(frozen=True)
class RunbookRun:
    """One execution of a runbook notebook."""

    name: str
    run_id: str | None = None
    notebook_sha256: str | None = None
    archive_path: str | None = None


@dataclass(frozen=True)
class Origin:
    """The front end a change came through, and the runbook run if there is one."""

    front_end: FrontEnd = "cli"
    runbook: RunbookRun | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Origin:
        runbook = data.get("runbook")
        return cls(
            front_end=data.get("front_end", "cli"),
            runbook=RunbookRun(**runbook) if runbook else None,
        )


def origin_from_environ(
    front_end: FrontEnd = "cli", environ: Mapping[str, str] | None = None
) -> Origin:
    """The origin for this process: ``front_end``, or ``runbook`` when a runner started us.

    The runbook variables are read here, once, when the front end builds its engine.
    """
    env = os.environ if environ is None else environ
    name = env.get(ENV_RUNBOOK)
    if not name:
        return Origin(front_end=front_end)
    run = RunbookRun(
        name=name,
        run_id=env.get(ENV_RUN_ID) or None,
        notebook_sha256=env.get(ENV_NOTEBOOK_SHA256) or None,
        archive_path=env.get(ENV_ARCHIVE_PATH) or None,
    )
    return Origin(front_end="runbook", runbook=run)
