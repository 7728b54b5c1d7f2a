"""The ``[runbooks]`` section of environments.toml: where runbook notebooks live and where runs go.

``path`` is the folder of ``.ipynb`` runbooks (relative to environments.toml). ``archive`` is
where executed notebooks and run records are kept: empty means ``$OPSKIT_STATE_DIR/runs``, a
folder (relative to environments.toml), or an ``s3://bucket/prefix`` in the ops account.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class RunbooksSettings(BaseModel):
    """Where runbooks are found and where their executed copies are archived."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    path: Annotated[str, StringConstraints(min_length=1)] = "notebooks"
    archive: str | None = None
    # Longest a single cell may run (a deploy's wait included); empty: no limit.
    cell_timeout_seconds: Annotated[int, Field(ge=10, le=86400)] | None = None
    # How long the kernel may take to start.
    start_timeout_seconds: Annotated[int, Field(ge=5, le=600)] = 60
