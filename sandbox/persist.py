"""The estate outlives the sandbox process: moto's backends saved on stop, loaded on start.

moto has no persistence for its server, but its backends are plain Python objects and
pickle (measured: ~9 MB for the normal estate, about a second to write). The server seeds as
always (identities, estate, costs, audit key), then, when ``<state dir>/sandbox/estate.pickle``
exists, puts the saved backends in place of the seeded ones, so ``sandbox stop`` then
``start`` (or a crash, then the next command's start) finds images, desired counts, DNS
weights, the S3 team journal and KMS keys as the journal left them. The simulator starts
after that and discovers the restored estate like any other. Only ``sandbox reset``
discards the file and starts over.

The sandbox's own services keep their state the same way: a service handle with
``snapshot()``/``restore()`` (the Datadog endpoint: monitors and received events) is saved
beside the backends, under its name, and given back after it starts.

Identities are not restored (IAM, STS, Organizations): every start makes fresh access keys,
and role ARNs are fixed by name. A snapshot taken by another moto version, for another
scale or from another environments.toml (its bytes) is ignored (logged): its objects may
not fit, and a service added to the catalog would vanish.

What saves: the server on shutdown (after the simulator stopped: a quiet estate), and a
background saver a few seconds after any user request that may change something, at most
every ``SAVE_EVERY_S`` (a kill -9 loses at most that window). Writes are atomic
(a temporary file, then a rename).
"""

from __future__ import annotations

import copyreg
import logging
import os
import pickle
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from sandbox.state import sandbox_dir

log = logging.getLogger(__name__)

SNAPSHOT_FILE = "estate.pickle"
FORMAT = 1
NOT_RESTORED = frozenset({"iam", "sts", "organizations"})  # fresh identities every start
SAVE_AFTER_S = 2.0  # a burst of changes (a deploy's calls) makes one save
SAVE_EVERY_S = 10.0  # at most one background save this often (~1 s of CPU for 9 MB)
READS = ("Describe", "List", "Get", "Lookup", "Search", "Head", "BatchGet",
         "Query", "Scan", "Select", "Filter", "Validate", "Simulate", "Test")  # fmt: skip


def snapshot_path(state_dir: Path) -> Path:
    return sandbox_dir(state_dir) / SNAPSHOT_FILE


def discard(state_dir: Path) -> bool:
    """Forget the saved estate (``sandbox reset``); True if there was one."""
    try:
        snapshot_path(state_dir).unlink()
        return True
    except FileNotFoundError:
        return False


class Restored(NamedTuple):
    """What ``restore`` put back: moto backends, and the services' saved states by name."""

    backends: int
    services: dict[str, Any]


def save(
    state_dir: Path, meta: dict[str, Any], services: Callable[[], dict[str, Any]] | None = None
) -> int:
    """Pickle every moto backend in use (except identities) and the services' states (from
    ``services()``) to the snapshot file; its size."""
    _register_reducers()
    for attempt in range(5):  # another thread may change a dict while it is pickled
        try:
            state = {
                "format": FORMAT,
                "meta": meta,
                "backends": _backends(),
                "services": services() if services is not None else {},
            }
            data = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
            break
        except RuntimeError:
            if attempt == 4:
                raise
            time.sleep(0.05)
    target = snapshot_path(state_dir)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".estate-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def restore(state_dir: Path, meta: dict[str, Any]) -> Restored:
    """Put the saved backends in place of the seeded ones; how many (0: nothing saved, or a
    snapshot that does not fit ``meta``: another moto version or scale), and the services'
    saved states for the server to hand back once they run."""
    nothing = Restored(0, {})
    path = snapshot_path(state_dir)
    if not path.exists():
        return nothing
    _register_reducers()
    try:
        saved = pickle.loads(path.read_bytes())
    except Exception as error:  # a torn or foreign file: start from the seed, say so
        log.warning("saved estate %s unreadable (%s): starting from the seed", path, error)
        return nothing
    if saved.get("format") != FORMAT or saved.get("meta") != meta:
        log.warning("saved estate %s is for %s, not %s: ignored", path, saved.get("meta"), meta)
        return nothing
    live = {b.service_name: b for b in _in_use()}
    count = 0
    for service, accounts in saved["backends"].items():
        backends = live.get(service) or _backend_dict(service)
        if backends is None:
            log.warning("saved estate names moto service %s, unknown here: skipped", service)
            continue
        for account, regions in accounts.items():
            per_account = backends[account]
            for region, backend in regions.items():
                dict.__setitem__(per_account, region, backend)
                count += 1
    log.info("restored %d moto backends from %s", count, path)
    return Restored(count, dict(saved.get("services") or {}))


class Saver:
    """Saves the estate a little after each change, and once more at ``stop()``."""

    def __init__(
        self,
        state_dir: Path,
        meta: dict[str, Any],
        autosave: bool = True,
        services: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.state_dir = state_dir
        self.meta = meta
        self.services = services
        self._changed_at: float | None = None
        self._saved_at = time.monotonic()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-saver", daemon=True)
        if autosave:
            self._thread.start()

    def changed(self, operation: str | None) -> None:
        """A request was served; one that may change the estate schedules a save."""
        if operation is None or operation.startswith(READS):
            return
        with self._lock:
            if self._changed_at is None:
                self._changed_at = time.monotonic()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            with self._lock:
                now = time.monotonic()
                due = (
                    self._changed_at is not None
                    and now - self._changed_at >= SAVE_AFTER_S
                    and now - self._saved_at >= SAVE_EVERY_S
                )
                if due:
                    self._changed_at = None
            if due:
                self._save()
                self._saved_at = time.monotonic()

    def _save(self) -> None:
        try:
            began = time.monotonic()
            size = save(self.state_dir, self.meta, self.services)
            log.info("estate saved: %d bytes in %.2f s", size, time.monotonic() - began)
        except Exception:
            log.exception("saving the estate failed")

    def stop(self) -> None:
        """End the background saver and save once more (the server is quiet by now)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._save()


def _backends() -> dict[str, dict[str, dict[str, Any]]]:
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for backends in _in_use():
        if backends.service_name in NOT_RESTORED:
            continue
        accounts = out.setdefault(backends.service_name, {})
        for account, per_account in list(backends.items()):
            regions = accounts.setdefault(account, {})
            for region in list(per_account.keys()):
                regions[region] = dict.__getitem__(per_account, region)
    return out


def _in_use() -> list[Any]:
    """moto's backends that hold anything (its own list of them, as its reset uses)."""
    from moto.core.base_backend import BackendDict

    instances: list[Any] = BackendDict._instances  # type: ignore[misc]
    return list(instances)


def _backend_dict(service: str) -> Any:
    from moto.backends import get_backend

    try:
        return get_backend(service)  # type: ignore[call-overload]
    except (ImportError, KeyError, AttributeError, ValueError):
        return None


_registered = False


def _register_reducers() -> None:
    """Private keys (moto's KMS keys) pickle as PEM; the ``cryptography`` objects cannot."""
    global _registered
    if _registered:
        return
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    for key_type in (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey):
        for concrete in {key_type, *_concrete_types(key_type)}:
            copyreg.pickle(concrete, _reduce_private_key)
    _registered = True


def _concrete_types(abstract: type) -> set[type]:
    """The Rust classes behind ``cryptography``'s abstract key types (what pickle sees)."""
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    made: list[Any] = []
    if abstract is rsa.RSAPrivateKey:
        made.append(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    else:
        made.append(ec.generate_private_key(ec.SECP256R1()))
    return {type(key) for key in made}


def _reduce_private_key(key: Any) -> tuple[Any, tuple[bytes]]:
    from cryptography.hazmat.primitives import serialization

    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return _load_private_key, (pem,)


def _load_private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(pem, password=None)
