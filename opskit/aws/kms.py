"""KMS calls for signing: HMAC keys (GenerateMac/VerifyMac) that never leave KMS."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from opskit.aws.errors import error_code, translate

if TYPE_CHECKING:
    from types_boto3_kms import KMSClient

MAC_ALGORITHM: Final = "HMAC_SHA_256"
MAX_MESSAGE_BYTES = 4096  # AWS's limit on a MAC's message: sign a digest, not a document


def generate_mac(client: KMSClient, key_id: str, message: bytes) -> tuple[bytes, str]:
    """The HMAC of ``message`` under ``key_id`` and the key's ARN/id as KMS names it."""
    try:
        answer = client.generate_mac(Message=message, KeyId=key_id, MacAlgorithm=MAC_ALGORITHM)
    except Exception as error:
        raise translate(error, f"signing with KMS key {key_id}") from None
    return bytes(answer["Mac"]), str(answer.get("KeyId", key_id))


def verify_mac(client: KMSClient, key_id: str, message: bytes, mac: bytes) -> bool:
    """True when ``mac`` is the HMAC of ``message`` under ``key_id``."""
    try:
        answer = client.verify_mac(
            Message=message, KeyId=key_id, MacAlgorithm=MAC_ALGORITHM, Mac=mac
        )
    except Exception as error:
        if error_code(error) in ("KMSInvalidMacException", "KMSInvalidMac"):
            return False
        raise translate(error, f"verifying with KMS key {key_id}") from None
    return bool(answer.get("MacValid"))


def create_hmac_key(client: KMSClient, alias: str, description: str) -> str:
    """A new HMAC_256 key named ``alias`` (``alias/…``); its key id. Reuses an existing alias."""
    try:
        for page in client.get_paginator("list_aliases").paginate():
            for item in page.get("Aliases", []):
                if item.get("AliasName") == alias and item.get("TargetKeyId"):
                    return str(item["TargetKeyId"])
        key = client.create_key(
            KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC", Description=description
        )["KeyMetadata"]["KeyId"]
        client.create_alias(AliasName=alias, TargetKeyId=key)
    except Exception as error:
        raise translate(error, f"creating the KMS key {alias}") from None
    return str(key)
