"""The change engine and the changes it applies (deploy, scale, restart, rollback,
stop-task, draining, traffic shift). Front ends use ``Engine`` and the change classes;
nothing else mutates the estate.

Importing this package is cheap: the concrete changes load with ``opskit.changes.registry``.
"""

from opskit.changes.engine import ChangeNotApplied, Engine, secret_redactor
from opskit.changes.guard import guard
from opskit.changes.locks import ResourceLocks
from opskit.changes.plan import ACCESS_RANK, Access, Diff, Plan, resource_id, stale_diffs
from opskit.changes.protocol import (
    Applied,
    Change,
    ChangeContext,
    ChangeNotice,
    ClientSource,
    Notifier,
    Progress,
    Result,
)

__all__ = [
    "ACCESS_RANK",
    "Access",
    "Applied",
    "Change",
    "ChangeContext",
    "ChangeNotApplied",
    "ChangeNotice",
    "ClientSource",
    "Diff",
    "Engine",
    "Notifier",
    "Plan",
    "Progress",
    "ResourceLocks",
    "Result",
    "guard",
    "resource_id",
    "secret_redactor",
    "stale_diffs",
]
