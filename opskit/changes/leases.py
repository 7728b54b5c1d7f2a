"""Team locks: a lease object per resource in the team journal's bucket.

The lease ``{prefix}locks/<resource>.json`` is created with a conditional write
(``IfNoneMatch="*"``), like Terraform's S3 backend lock file (``use_lockfile``): whoever
creates it holds the resource, everyone else (any machine, any state dir) is refused with
exit 7 naming the holder and since when. While the change runs, a heartbeat renews the
lease (``IfMatch`` on the ETag we wrote, so a lease someone else took over is never written
back); release deletes it (again only while it is ours). A lease whose ``expires`` has
passed (its holder died) may be taken over, atomically (``IfMatch``), and the takeover is
journaled. Lease versions are retained only until they expire (Object Lock per object).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import threading
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from opskit.audit import utc_now
from opskit.changes.interrupt import deferred
from opskit.errors import RefusedError

if TYPE_CHECKING:
    from pathlib import Path

    from opskit.audit import Journal
    from opskit.audit.setup import OpsClients
    from opskit.changes.locks import Locks
    from opskit.config import Config


def locks_for(
    config: Config, accounts: OpsClients, state: Path, journal: Journal | None = None
) -> Locks:
    """Team leases when ``[audit] s3_bucket`` is set, else this machine's lock files."""
    from opskit.changes.locks import ResourceLocks

    audit = config.audit
    if not audit.s3_bucket:
        return ResourceLocks(state / "locks")
    return TeamLocks(
        lambda: accounts.ops_client("s3"),
        audit.s3_bucket,
        audit.prefix,
        audit.lease_seconds,
        journal,
    )


def _iso(when: dt.datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse(text: Any) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


class TeamLocks:
    """Leases in the team bucket: one change per resource across the whole team."""

    def __init__(
        self,
        client: Callable[[], Any],
        bucket: str,
        prefix: str,
        lease_seconds: float,
        journal: Journal | None = None,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._client_factory = client
        self._client: Any = None
        self.bucket = bucket
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.journal = journal
        self.now = now
        self.renewals = 0
        self.lost: list[str] = []

    def s3(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def key(self, resource: str) -> str:
        return f"{self.prefix}locks/{urllib.parse.quote(resource, safe='/-_.')}.json"

    @contextlib.contextmanager
    def hold(self, resources: Sequence[str], holder: str, change: str) -> Iterator[None]:
        """Lease every resource (sorted) for the block; RefusedError naming the holder if
        any is held by someone else (the leases already taken are released then)."""
        held: dict[str, str] = {}
        since = utc_now()
        stop = threading.Event()
        beat: threading.Thread | None = None
        try:
            for resource in sorted(set(resources)):
                held[resource] = self._acquire(resource, holder, change, since)
            beat = threading.Thread(
                target=self._heartbeat, args=(held, holder, change, since, stop), daemon=True
            )
            beat.start()
            yield
        finally:
            with deferred():  # a second Ctrl-C must not leave the leases held for their term
                stop.set()
                if beat is not None:
                    beat.join()
                self._release(held)

    # -- the lease --------------------------------------------------------------------

    def _lease(
        self, resource: str, holder: str, change: str, since: str
    ) -> tuple[bytes, dict[str, Any]]:
        now = self.now()
        expires = now + dt.timedelta(seconds=self.lease_seconds)
        lease = {
            "resource": resource,
            "user": holder,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "change": change,
            "since": since,
            "renewed": _iso(now),
            "expires": _iso(expires),
        }
        retention = {
            "ObjectLockMode": "COMPLIANCE",
            "ObjectLockRetainUntilDate": expires + dt.timedelta(seconds=1),
        }
        return json.dumps(lease, sort_keys=True).encode(), retention

    def _acquire(self, resource: str, holder: str, change: str, since: str) -> str:
        from opskit.aws.s3 import get_json, put_new, replace_if

        key = self.key(resource)
        for _ in range(5):
            body, retention = self._lease(resource, holder, change, since)
            etag = put_new(self.s3(), self.bucket, key, body, **retention)
            if etag is not None:
                return etag
            found = get_json(self.s3(), self.bucket, key)
            if found is None:
                continue  # released between our write and our read: try again
            current, current_etag = found
            expires = _parse(current.get("expires"))
            if expires is not None and expires > self.now():
                raise RefusedError(f"{resource} is locked by {_describe(current)}; try again later")
            etag = replace_if(self.s3(), self.bucket, key, body, current_etag, **retention)
            if etag is not None:
                self._journal_takeover(resource, holder, change, current)
                return etag
        raise RefusedError(f"{resource}: its lock changed hands too often; try again later")

    def _journal_takeover(
        self, resource: str, holder: str, change: str, previous: dict[str, Any]
    ) -> None:
        if self.journal is None:
            return
        self.journal.append(
            {
                "type": "lock_takeover",
                "change_id": change.rsplit(" ", 1)[-1],
                "change": change.split(" ", 1)[0],
                "summary": f"took over the expired lock on {resource} from {_describe(previous)}",
                "at": utc_now(),
                "who": {"user": holder, "host": socket.gethostname(), "pid": os.getpid()},
                "resource": resource,
                "previous": previous,
            }
        )

    def _heartbeat(
        self, held: dict[str, str], holder: str, change: str, since: str, stop: threading.Event
    ) -> None:
        """Renew every lease each third of its life until ``stop``."""
        from opskit.aws.s3 import replace_if

        interval = max(self.lease_seconds / 3.0, 0.05)
        while not stop.wait(interval):
            for resource, etag in list(held.items()):
                key = self.key(resource)
                body, retention = self._lease(resource, holder, change, since)
                try:
                    renewed = replace_if(self.s3(), self.bucket, key, body, etag, **retention)
                except Exception:
                    continue  # a failed renewal is retried on the next beat
                if renewed is None:
                    self.lost.append(resource)
                    del held[resource]
                else:
                    held[resource] = renewed
                    self.renewals += 1

    def _release(self, held: dict[str, str]) -> None:
        from opskit.aws.s3 import delete_key

        for resource, etag in held.items():
            with contextlib.suppress(Exception):
                delete_key(self.s3(), self.bucket, self.key(resource), etag)


def _describe(lease: dict[str, Any]) -> str:
    """Who holds a lease, as a refusal names them."""
    return (
        f"{lease.get('user', '?')} ({lease.get('change', '?')}, pid {lease.get('pid', '?')} "
        f"on {lease.get('host', '?')}, since {lease.get('since', '?')}, "
        f"lease until {lease.get('expires', '?')})"
    )
