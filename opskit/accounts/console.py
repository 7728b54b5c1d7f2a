"""A federated AWS console sign-in URL for an environment's role session."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable

from opskit.accounts.sessions import Accounts
from opskit.errors import AwsError, UsageError

FEDERATION = "https://signin.aws.amazon.com/federation"
CONSOLE = "https://console.aws.amazon.com/"


def _fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return str(answer.read().decode())


def console_url(
    accounts: Accounts,
    env: str,
    access: str = "read",
    *,
    duration: int = 3600,
    fetch: Callable[[str], str] = _fetch,
) -> str:
    """The sign-in URL (getSigninToken, then login); only AWS itself has a console."""
    endpoint = accounts.endpoint_url(env)
    if endpoint:
        raise UsageError(
            f"{env} is served by {endpoint}, not AWS: there is no AWS console to sign in to "
            "(use `opskit tui` or `opskit exec` instead)"
        )
    creds = accounts.credentials(env, access)
    session = json.dumps(
        {
            "sessionId": creds.access_key_id,
            "sessionKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
        }
    )
    query = urllib.parse.urlencode(
        {"Action": "getSigninToken", "SessionDuration": str(duration), "Session": session}
    )
    try:
        token = json.loads(fetch(f"{FEDERATION}?{query}"))["SigninToken"]
    except (OSError, ValueError, KeyError) as error:
        raise AwsError(f"console sign-in for {env}: federation endpoint failed: {error}") from None
    login = urllib.parse.urlencode(
        {"Action": "login", "Issuer": "opskit", "Destination": CONSOLE, "SigninToken": token}
    )
    return f"{FEDERATION}?{login}"


def exec_environment(accounts: Accounts, env: str, access: str) -> dict[str, str]:
    """AWS_* variables that let any SDK or the AWS CLI act as ``env``'s role."""
    creds = accounts.credentials(env, access)
    region = accounts.config.environment(env).region
    variables = {
        "AWS_ACCESS_KEY_ID": creds.access_key_id,
        "AWS_SECRET_ACCESS_KEY": creds.secret_access_key,
        "AWS_SESSION_TOKEN": creds.session_token,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_CREDENTIAL_EXPIRATION": creds.expiration.isoformat(),
        "OPSKIT_ENV": env,
        "OPSKIT_ACCESS": access,
    }
    endpoint = accounts.endpoint_url(env)
    if endpoint:
        variables["AWS_ENDPOINT_URL"] = endpoint
    return variables
