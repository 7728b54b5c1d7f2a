"""Signatures: what makes a recomputed hash chain still fail verification.

A SHA-256 chain only proves that records fit together; anyone who can write the file can
recompute it. A record is therefore also signed, with a key the forger does not hold:

- ``HmacSigner``: HMAC-SHA-256 with a random 32-byte key kept 0600 in the state dir
  (``audit.key``). Protects against anyone without that file; a team must share it.
- ``KmsSigner``: KMS ``GenerateMac``/``VerifyMac`` with an HMAC_256 key (``[audit]
  kms_key_id``): the key never leaves KMS, and IAM says who may sign.

``key_id`` names the key (never its material) so a verifier can tell which key to use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from opskit.errors import ConfigError

KEY_FILE = "audit.key"
KEY_BYTES = 32


class Signer(Protocol):
    """Signs bytes and checks signatures; ``key_id`` names the key, never reveals it."""

    @property
    def key_id(self) -> str: ...

    def sign(self, message: bytes) -> str: ...

    def verify(self, message: bytes, signature: str) -> bool: ...


class HmacSigner:
    """HMAC-SHA-256 with a local secret key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ConfigError("the audit signing key is shorter than 16 bytes")
        self._key = key
        self._id = "hmac:" + hashlib.sha256(b"opskit-audit-key|" + key).hexdigest()[:16]

    @property
    def key_id(self) -> str:
        return self._id

    def sign(self, message: bytes) -> str:
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def verify(self, message: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(message), signature)

    def __repr__(self) -> str:
        return f"HmacSigner({self._id})"

    @classmethod
    def from_state_dir(cls, state: Path) -> HmacSigner:
        """The state dir's key (``audit.key``, 0600), created at random on first use."""
        path = Path(state) / KEY_FILE
        try:
            return cls(path.read_bytes())
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return cls(path.read_bytes())  # another process made it first
        try:
            os.write(fd, os.urandom(KEY_BYTES))
            os.fsync(fd)
        finally:
            os.close(fd)
        return cls(path.read_bytes())


class KmsSigner:
    """KMS GenerateMac/VerifyMac with an HMAC_256 key; the client is made on first use."""

    def __init__(self, client: Callable[[], Any], key_id: str) -> None:
        self._client_factory = client
        self._key = key_id
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def key_id(self) -> str:
        return "kms:" + self._key

    def _kms(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._client_factory()
            return self._client

    def sign(self, message: bytes) -> str:
        from opskit.aws.kms import generate_mac

        mac, _ = generate_mac(self._kms(), self._key, message)
        return base64.b64encode(mac).decode()

    def verify(self, message: bytes, signature: str) -> bool:
        from opskit.aws.kms import verify_mac

        try:
            mac = base64.b64decode(signature, validate=True)
        except ValueError:
            return False
        return verify_mac(self._kms(), self._key, message, mac)

    def __repr__(self) -> str:
        return f"KmsSigner({self._key})"
