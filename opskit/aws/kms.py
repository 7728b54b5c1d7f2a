"""KMS calls opskit makes: HMAC codes for signing plans and records (GenerateMac/VerifyMac).

AWS limits a MAC's message to 4,096 bytes, so callers pass a digest of what they sign, not
the document itself. An invalid MAC is an answer (False), not an error.
"""

from __future__ import annotations

from typing import Any

from opskit.aws.errors import error_code, translate

MAC_ALGORITHM = "HMAC_SHA_256"
MAX_MESSAGE_BYTES = 4096


def generate_mac(kms: Any, key_id: str, message: bytes) -> bytes:
    """The HMAC-SHA-256 of ``message`` (at most 4,096 bytes) under the KMS key ``key_id``."""
    try:
        answer = kms.generate_mac(Message=message, KeyId=key_id, MacAlgorithm=MAC_ALGORITHM)
    except Exception as error:
        raise translate(error, f"signing with KMS key {key_id}") from None
    return bytes(answer["Mac"])


def verify_mac(kms: Any, key_id: str, message: bytes, mac: bytes) -> bool:
    """True when ``mac`` is ``message``'s HMAC-SHA-256 under ``key_id``; False when not."""
    try:
        answer = kms.verify_mac(Message=message, KeyId=key_id, MacAlgorithm=MAC_ALGORITHM, Mac=mac)
    except Exception as error:
        if error_code(error) == "KMSInvalidMacException":
            return False
        raise translate(error, f"checking a signature with KMS key {key_id}") from None
    return bool(answer.get("MacValid"))
