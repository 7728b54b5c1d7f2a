"""Signatures over bytes: a plan (or a journal record) proves who wrote it and that it is unchanged.

``Signer`` is all a caller needs: ``sign(data) -> str``, ``verify(data, signature) -> bool``
and ``key_id`` (which key, so a reader picks the right verifier). Two implementations:

- ``HmacSigner``: HMAC-SHA-256 with a random 32-byte key kept in the state directory
  (``signing.key``, mode 0600, made on first use). Only its owner can sign or check.
- ``KmsSigner``: HMAC-SHA-256 by an AWS KMS key (``[audit] kms_key_id``, key spec HMAC_256,
  usage GENERATE_VERIFY_MAC): anyone the key policy lets call GenerateMac/VerifyMac (the
  team) signs and checks; nobody holds the key. KMS MACs at most 4,096 bytes, so it MACs
  the SHA-256 digest of the data, labelled with the scheme.

Signatures are URL-safe base64 strings; key ids name the scheme (``hmac-sha256:…``,
``kms:…``). Callers decide what bytes to sign (e.g. canonical JSON).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from opskit.errors import RefusedError

KEY_FILE = "signing.key"
KEY_BYTES = 32
_KMS_LABEL = b"opskit-kms-hmac-sha256-v1\n"


class Signer(Protocol):
    """Signs bytes and checks signatures made with the same key."""

    @property
    def key_id(self) -> str:
        """Which key signs (safe to store next to the signature; never the key itself)."""
        ...

    def sign(self, data: bytes) -> str:
        """A signature of ``data`` (text, to store next to it)."""
        ...

    def verify(self, data: bytes, signature: str) -> bool:
        """True when ``signature`` was made by this key over exactly ``data``."""
        ...


def _encode(mac: bytes) -> str:
    return base64.urlsafe_b64encode(mac).decode("ascii")


def _decode(signature: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(signature.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


class HmacSigner:
    """HMAC-SHA-256 with a local secret key (one per state directory, i.e. per user)."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"an HMAC signing key needs {KEY_BYTES} bytes")
        self._key = key
        self._key_id = "hmac-sha256:" + hashlib.sha256(b"key-id\n" + key).hexdigest()[:16]

    @property
    def key_id(self) -> str:
        return self._key_id

    @classmethod
    def from_state_dir(cls, state_dir: Path) -> HmacSigner:
        """The state directory's key, made (random, 0600) on first use.

        RefusedError when the key file is readable by others: a key others can read
        proves nothing.
        """
        path = Path(state_dir) / KEY_FILE
        if not path.exists():
            _create_key(path)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            raise RefusedError(
                f"signing key {path} is readable by others (mode {mode:o}); chmod 600 it"
            )
        key = path.read_bytes()
        if len(key) != KEY_BYTES:
            raise RefusedError(f"signing key {path} is damaged ({len(key)} bytes); remove it")
        return cls(key)

    def sign(self, data: bytes) -> str:
        return _encode(hmac.new(self._key, data, hashlib.sha256).digest())

    def verify(self, data: bytes, signature: str) -> bool:
        mac = _decode(signature)
        expected = hmac.new(self._key, data, hashlib.sha256).digest()
        return mac is not None and hmac.compare_digest(mac, expected)


def _create_key(path: Path) -> None:
    """Write a new random key atomically, 0600; whoever links first wins a race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(KEY_BYTES))
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
    finally:
        temporary.unlink(missing_ok=True)


class KmsSigner:
    """HMAC-SHA-256 by a KMS key (GenerateMac / VerifyMac).

    ``kms`` is a boto3 KMS client, or a function making one: the journal builds its signer
    before it knows whether anything will be signed, and a client is only made on first use.
    """

    def __init__(self, kms: Any, key: str) -> None:
        self._kms = kms if hasattr(kms, "generate_mac") else None
        self._factory: Callable[[], Any] | None = None if self._kms is not None else kms
        self._key = key
        self._lock = threading.Lock()

    @property
    def key_id(self) -> str:
        return f"kms:{self._key}"

    def _client(self) -> Any:
        with self._lock:
            if self._kms is None and self._factory is not None:
                self._kms = self._factory()
            return self._kms

    @staticmethod
    def _message(data: bytes) -> bytes:
        return _KMS_LABEL + hashlib.sha256(data).digest()

    def sign(self, data: bytes) -> str:
        from opskit.aws import kms

        mac, _ = kms.generate_mac(self._client(), self._key, self._message(data))
        return _encode(mac)

    def verify(self, data: bytes, signature: str) -> bool:
        from opskit.aws import kms

        mac = _decode(signature)
        if not mac:
            return False
        return kms.verify_mac(self._client(), self._key, self._message(data), mac)

    def __repr__(self) -> str:
        return f"KmsSigner({self._key})"
