"""The tamper-evident audit journal of every change, from every front end."""

from opskit.audit.context import (
    FRONT_ENDS,
    FrontEnd,
    Origin,
    RunbookRun,
    origin_from_environ,
)
from opskit.audit.journal import GENESIS, Journal, JournalError, record_hash
from opskit.audit.records import (
    OUTCOMES,
    Actor,
    ChangeEntry,
    Outcome,
    change_record,
    changes,
    find_change,
    parse_since,
    utc_now,
)
from opskit.audit.redact import REDACTED, Redactor
from opskit.audit.verify import Verification, verify

__all__ = [
    "FRONT_ENDS",
    "GENESIS",
    "OUTCOMES",
    "REDACTED",
    "Actor",
    "ChangeEntry",
    "FrontEnd",
    "Journal",
    "JournalError",
    "Origin",
    "Outcome",
    "Redactor",
    "RunbookRun",
    "Verification",
    "change_record",
    "changes",
    "find_change",
    "origin_from_environ",
    "parse_since",
    "record_hash",
    "utc_now",
    "verify",
]
