"""Runbooks: the notebooks in ``notebooks/`` as audited, repeatable, archived changes.

``catalog`` lists and inspects them (papermill), ``schema`` is their parameter language,
``validate`` checks a run before any kernel starts, ``runner`` executes one (``execution``,
``kernel``), archives it redacted (``archive``, ``redact``) and journals it; ``kit`` is what
the notebooks themselves call. Importing this package loads neither papermill nor pandas.
"""

from opskit.runbooks.archive import RunRecord
from opskit.runbooks.schema import Param, RunbookSpec
from opskit.runbooks.validate import RunRequest

__all__ = ["Param", "RunRecord", "RunRequest", "RunbookSpec"]
