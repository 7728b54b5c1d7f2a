"""Building the journal a front end writes: local only, or local plus the team's bucket.

``[audit] s3_bucket`` set: every record goes to the team journal first (in the ops
account, through ``accounts.ops_client``), signed with the KMS key ``[audit] kms_key_id``
or else the state dir's HMAC key. Unset: the local journal alone, HMAC-signed.

Policy when the bucket cannot be reached: the change is refused (exit 5) by construction,
because the intent record must reach the team journal before anything is touched.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from opskit.audit.journal import Journal
from opskit.audit.redact import Redactor
from opskit.audit.signing import HmacSigner, KmsSigner, Signer
from opskit.audit.team import TeamStore, writer_id
from opskit.config import Config


class OpsClients(Protocol):
    """Where the journal gets clients in the ops account (``opskit.accounts.Accounts``)."""

    def ops_client(self, service: str, region: str | None = None) -> Any: ...


def signer_for(config: Config, accounts: OpsClients | None, state: Path) -> Signer:
    """KMS when ``[audit] kms_key_id`` is set (and we can reach AWS), else the local HMAC key."""
    key = config.audit.kms_key_id
    if key and accounts is not None:
        return KmsSigner(lambda: accounts.ops_client("kms"), key)
    return HmacSigner.from_state_dir(state)


def team_store(
    config: Config, accounts: OpsClients, state: Path, signer: Signer, journal: Path | None = None
) -> TeamStore:
    """The team journal of ``[audit] s3_bucket`` (which must be set)."""
    bucket = config.audit.s3_bucket
    if not bucket:
        raise ValueError("no [audit] s3_bucket")
    return TeamStore(
        lambda: accounts.ops_client("s3"),
        bucket,
        config.audit.prefix,
        signer,
        writer=writer_id(state, journal),
        cache_dir=state,
    )


def open_journal(
    config: Config,
    accounts: OpsClients | None,
    state: Path,
    path: Path,
    redactor: Redactor | None = None,
) -> Journal:
    """The journal changes are written to: signed, and shipped to the team when configured."""
    signer = signer_for(config, accounts, state)
    shipper = None
    if config.audit.s3_bucket and accounts is not None:
        shipper = team_store(config, accounts, state, signer, path)
    return Journal(path, redactor, signer=signer, shipper=shipper)


def team_reader(config: Config, accounts: OpsClients, state: Path) -> TeamStore | None:
    """The team journal to read everyone's changes from (cached locally), or None."""
    if not config.audit.s3_bucket:
        return None
    return team_store(config, accounts, state, signer_for(config, accounts, state))
