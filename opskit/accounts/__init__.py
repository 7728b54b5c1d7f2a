"""Account switching: the ops identity, role sessions per environment, MFA, the cache.

This package is the only place that creates boto3 sessions or clients and talks to STS.
"""

from opskit.accounts.access import AccessCheck, check_access
from opskit.accounts.cache import CachedCredentials, CredentialCache
from opskit.accounts.calls import CallStats
from opskit.accounts.console import console_url, exec_environment
from opskit.accounts.identity import Identity
from opskit.accounts.login import Login
from opskit.accounts.sessions import Accounts

__all__ = [
    "AccessCheck",
    "Accounts",
    "CachedCredentials",
    "CallStats",
    "CredentialCache",
    "Identity",
    "Login",
    "check_access",
    "console_url",
    "exec_environment",
]
