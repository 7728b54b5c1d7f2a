"""Temporary credentials as AWS treats them: working session tokens, enforced expiry.

moto's GetSessionToken returns the same canned example keys to everyone, which no request
can use once IAM enforcement is on; so the MFA flow (one GetSessionToken, then AssumeRole
into every environment from it) could not work. Here GetSessionToken mints real session
credentials for the calling IAM user (checking the MFA device and code if given). A request
signed with them is verified here, then re-signed with the user's own key before moto sees
it, so moto authorizes it as that user, as AWS does.

moto also never expires temporary credentials; AWS answers ``ExpiredToken``. Both session
tokens and assumed-role credentials are refused here once past their Expiration.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.aws import wire
from sandbox.aws.backends import moto_backend
from sandbox.aws.overrides import AwsApiError, AwsCall, override

SESSION_KEY_ENVIRON = "opskit.session_key"
_MFA_CODE = re.compile(r"^\d{6}$")


@dataclass(frozen=True)
class _Session:
    user_key_id: str
    account_id: str
    secret: str
    token: str
    expires: datetime


def _expired(protocol: str) -> AwsApiError:
    code = "ExpiredTokenException" if protocol in ("json", "rest-json") else "ExpiredToken"
    return AwsApiError(code, "The security token included in the request is expired", 400)


class SessionStore:
    """Session credentials minted by GetSessionToken, and expiry of temporary credentials."""

    def __init__(self) -> None:
        self._sessions: dict[str, _Session] = {}
        self._role_expiry: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def issue(self, user_key_id: str, account_id: str, seconds: int) -> dict[str, Any]:
        alphabet = string.ascii_uppercase + string.digits
        key_id = "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))
        session = _Session(
            user_key_id=user_key_id,
            account_id=account_id,
            secret=secrets.token_urlsafe(30)[:40],
            token="FwoGZXIvYXdzE" + secrets.token_urlsafe(96),
            expires=datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds),
        )
        with self._lock:
            self._sessions[key_id] = session
        return {
            "AccessKeyId": key_id,
            "SecretAccessKey": session.secret,
            "SessionToken": session.token,
            "Expiration": session.expires,
        }

    def translate(self, environ: dict[str, Any], signed: wire.Signed, protocol: str) -> None:
        """Verify a request signed with session or role credentials; re-sign session ones.

        Raises AwsApiError (expired, bad token, bad signature). No-op for other keys.
        """
        with self._lock:
            session = self._sessions.get(signed.access_key)
        if session is None:
            self._check_role_expiry(signed.access_key, protocol)
            return
        if datetime.now(UTC) >= session.expires:
            raise _expired(protocol)
        if environ.get("HTTP_X_AMZ_SECURITY_TOKEN") != session.token:
            raise AwsApiError(
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
                403,
            )
        user_key = moto_backend("iam", session.account_id, "global").access_keys.get(
            session.user_key_id
        )
        if user_key is None:
            raise AwsApiError("InvalidClientTokenId", "The user's access key was deleted.", 403)
        from botocore.credentials import Credentials

        signing = Credentials(signed.access_key, session.secret, session.token)
        if _signature(environ, signed, signing) != _given_signature(environ):
            raise AwsApiError(
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
                403,
            )
        user = Credentials(session.user_key_id, user_key.secret_access_key)
        environ.pop("HTTP_X_AMZ_SECURITY_TOKEN", None)
        _resign(environ, signed, user)
        environ[SESSION_KEY_ENVIRON] = signed.access_key

    def _check_role_expiry(self, access_key: str, protocol: str) -> None:
        if not access_key.startswith("ASIA"):
            return
        with self._lock:
            expires = self._role_expiry.get(access_key)
        if expires is None:
            expires = _assumed_role_expiry(access_key)
            if expires is None:
                return
            with self._lock:
                self._role_expiry[access_key] = expires
        if datetime.now(UTC) >= expires:
            raise _expired(protocol)


def _assumed_role_expiry(access_key: str) -> datetime | None:
    from moto.sts.models import sts_backends

    for account_id in list(sts_backends):
        for role in list(sts_backends[account_id]["aws"].assumed_roles):
            if role.access_key_id == access_key:
                expires: datetime = role.expiration
                return expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    return None


def _signed_request(environ: dict[str, Any], drop: tuple[str, ...]) -> Any:
    from botocore.awsrequest import AWSRequest
    from moto.core.request import Request

    request = Request(environ)
    auth = environ["HTTP_AUTHORIZATION"]
    names = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
    headers = {n: request.headers[n] for n in names if n not in drop and n in request.headers}
    path = request.raw_path + (f"?{request.query_string.decode()}" if request.query_string else "")
    body = wire.read_body(environ)
    return AWSRequest(method=request.method, url=path, data=body, headers=headers)


def _auth(signed: wire.Signed, credentials: Any) -> Any:
    from botocore.auth import S3SigV4Auth, SigV4Auth

    cls = S3SigV4Auth if signed.signing_name == "s3" else SigV4Auth
    return cls(credentials, signed.signing_name, signed.region)


def _given_signature(environ: dict[str, Any]) -> str:
    return str(environ["HTTP_AUTHORIZATION"].split("Signature=", 1)[1].split(",", 1)[0])


def _signature(environ: dict[str, Any], signed: wire.Signed, credentials: Any) -> str:
    request = _signed_request(environ, drop=())
    request.context["timestamp"] = environ.get("HTTP_X_AMZ_DATE", "")
    auth = _auth(signed, credentials)
    canonical = auth.canonical_request(request)
    return str(auth.signature(auth.string_to_sign(request, canonical), request))


def _resign(environ: dict[str, Any], signed: wire.Signed, credentials: Any) -> None:
    request = _signed_request(environ, drop=("x-amz-security-token", "x-amz-date"))
    _auth(signed, credentials).add_auth(request)
    environ["HTTP_AUTHORIZATION"] = request.headers["Authorization"]
    environ["HTTP_X_AMZ_DATE"] = request.headers["X-Amz-Date"]


SESSIONS = SessionStore()


@override("sts", "GetSessionToken")
def get_session_token(call: AwsCall) -> dict[str, Any]:
    """AWS's GetSessionToken: only IAM users with long-term keys; MFA checked if given."""
    if call.is_session or ":user/" not in call.caller_arn:
        raise AwsApiError(
            "AccessDenied", "Cannot call GetSessionToken with session credentials", 403
        )
    seconds = int(call.params.get("DurationSeconds", 43200))
    if not 900 <= seconds <= 129600:
        raise AwsApiError(
            "ValidationError",
            f"Value '{seconds}' at 'durationSeconds' failed to satisfy constraint: "
            "Member must have value between 900 and 129600",
        )
    serial = call.params.get("SerialNumber")
    if serial is not None:
        user_name = call.caller_arn.rsplit("/", 1)[-1]
        user = moto_backend("iam", call.account_id, "global").get_user(user_name)
        code = str(call.params.get("TokenCode", ""))
        if serial not in user.mfa_devices or not _MFA_CODE.match(code):
            raise AwsApiError(
                "AccessDenied",
                "MultiFactorAuthentication failed with invalid MFA one time pass code.",
                403,
            )
    credentials = SESSIONS.issue(call.access_key_id, call.account_id, seconds)
    return {"Credentials": credentials}
