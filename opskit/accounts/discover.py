"""Discover an existing estate from the ops login, for `opskit init`.

No config yet, so no ``Accounts``: the login's own session reads the Organization
(ListAccounts and each account's tags), probes which access roles each account lets the
ops identity assume (AssumeRole, the only proof that a role exists *and* trusts us), and,
with the read role, lists ECS clusters in every candidate region to find the regions in
use. Everything runs concurrently; a failure is said in the result, not raised, unless
nothing can be read at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opskit.accounts.login import Login, profile_session
from opskit.accounts.shared_models import core_session
from opskit.aws.ecs import EcsReader
from opskit.aws.errors import error_code, is_denied, translate
from opskit.aws.organizations import Account, OrgReader
from opskit.config.template import LEVELS, Found, FoundAccount
from opskit.errors import AuthError, OpskitError, UsageError

if TYPE_CHECKING:
    import boto3

# Role names tried per access level when --role-names does not say (first that works wins).
CANDIDATES: Mapping[str, tuple[str, ...]] = {
    "read": ("opskit-read", "ReadOnly", "ReadOnlyAccess", "readonly"),
    "deploy": ("opskit-deploy", "Deploy", "deploy", "PowerUser"),
    "admin": ("opskit-admin", "Admin", "Administrator", "OrganizationAccountAccessRole"),
}
# Not opted in (or not an AWS region for this partition): the region is simply not in use.
NOT_ENABLED = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure"})


@dataclass(frozen=True)
class Request:
    """What `opskit init` was asked to discover."""

    login: Login
    login_kind: str  # what goes in [ops] login
    region: str
    endpoint_url: str | None = None
    accounts: tuple[str, ...] = ()  # ids or names to keep (empty: every active member)
    role_names: Mapping[str, tuple[str, ...]] | None = None  # level -> names to try
    regions: tuple[str, ...] = ()  # regions to look for clusters in (empty: every ECS region)


class Discovery:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.session = request.login.base_session(request.region)
        self.endpoint = request.login.endpoint_url or request.endpoint_url

    def client(self, service: str, session: boto3.Session | None = None, region: str = "") -> Any:
        from botocore.config import Config as BotoConfig

        maker: Any = session or self.session
        return maker.client(
            service,
            region_name=region or self.request.region,
            endpoint_url=self.endpoint,
            config=BotoConfig(
                retries={"mode": "standard", "max_attempts": 4},
                connect_timeout=5,
                read_timeout=30,
                user_agent_extra="opskit-init",
            ),
        )

    def run(self) -> Found:
        try:
            me = self.client("sts").get_caller_identity()
        except Exception as error:
            raise translate(error, "ops login") from None
        ops = str(me["Account"])
        org = OrgReader(self.client("organizations"))
        members = [a for a in self._members(org) if a.status in ("ACTIVE", "")]
        picked, skipped = self._pick(members, ops)
        tried = self.request.role_names or CANDIDATES
        with (
            ThreadPoolExecutor(8, thread_name_prefix="init-account") as accounts,
            ThreadPoolExecutor(16, thread_name_prefix="init-region") as regions,
        ):  # account jobs wait on region jobs: two pools, so they cannot deadlock
            found = list(accounts.map(lambda a: self._account(a, org, tried, regions), picked))
        if not any(a.roles for a in found):
            names = "; ".join(f"{level}: {', '.join(n)}" for level, n in tried.items())
            raise AuthError(
                f"no access role could be assumed in any account (tried {names}); "
                "name yours with --role-names read=NAME,deploy=NAME"
            )
        return Found(
            ops_account=ops,
            ops_region=self.request.region,
            login=self.request.login_kind,
            accounts=tuple(found),
            profile=self.request.login.profile,
            endpoint_url=self.request.endpoint_url,
            tried={level: tuple(names) for level, names in tried.items()},
            skipped=tuple(skipped),
        )

    def _members(self, org: OrgReader) -> list[Account]:
        """The Organization's accounts; without ListAccounts (not the management account
        nor a delegated administrator), the account ids given with --accounts."""
        try:
            return org.accounts()
        except AuthError as error:
            ids = self.request.accounts
            if ids and all(len(i) == 12 and i.isdigit() for i in ids):
                return [Account(i, i, "ACTIVE") for i in ids]
            raise AuthError(f"{error}; name the accounts by id with --accounts") from None

    def _pick(
        self, members: Sequence[Account], ops: str
    ) -> tuple[list[Account], list[tuple[str, str, str]]]:
        wanted = set(self.request.accounts)
        known = {a.id for a in members} | {a.name for a in members}
        unknown = sorted(wanted - known)
        if unknown:
            listing = ", ".join(f"{a.name} ({a.id})" for a in members)
            raise UsageError(
                f"--accounts: {', '.join(unknown)} not in the Organization (it has {listing})"
            )
        picked, skipped = [], []
        for account in sorted(members, key=lambda a: a.id):
            if wanted and account.id not in wanted and account.name not in wanted:
                continue
            if account.id == ops and not wanted:
                skipped.append((account.id, account.name, "the ops account you log in to"))
                continue
            picked.append(account)
        if not picked:
            raise UsageError("no account to describe: the Organization has only the ops account")
        return picked, skipped

    def _account(
        self,
        account: Account,
        org: OrgReader,
        tried: Mapping[str, Sequence[str]],
        pool: ThreadPoolExecutor,
    ) -> FoundAccount:
        notes: list[str] = []
        try:
            tags = org.tags(account.id)
        except OpskitError as error:
            tags, notes = {}, [f"tags unread: {error}"]
        roles: dict[str, str] = {}
        sessions: dict[str, boto3.Session] = {}
        for level in LEVELS:
            for role in tried.get(level, ()):
                session = self._assume(account.id, role)
                if session is not None:
                    roles[level], sessions[level] = role, session
                    break
        reader = sessions.get("read") or next(iter(sessions.values()), None)
        regions: tuple[str, ...] = ()
        if reader is not None:
            candidates = self.request.regions or tuple(self.session.get_available_regions("ecs"))
            if self.request.region not in candidates:
                candidates = (self.request.region, *candidates)
            answers = list(pool.map(lambda r: self._clusters(reader, r), candidates))
            regions = tuple(r for r, (count, _) in zip(candidates, answers, strict=True) if count)
            notes += [note for _, note in answers if note]
        return FoundAccount(
            id=account.id,
            name=account.name,
            tags=dict(sorted(tags.items())),
            roles=roles,
            regions=regions,
            notes=tuple(notes),
        )

    def _assume(self, account_id: str, role: str) -> boto3.Session | None:
        """A session in ``role`` of the account, or None if it cannot be assumed."""
        import boto3

        arn = f"arn:aws:iam::{account_id}:role/{role}"
        try:
            answer = self.client("sts").assume_role(
                RoleArn=arn, RoleSessionName="opskit-init", DurationSeconds=900
            )
        except Exception as error:
            if is_denied(error) or error_code(error) in ("NoSuchEntity", "ValidationError"):
                return None
            raise translate(error, f"assuming {arn}") from None
        creds = answer["Credentials"]
        return boto3.Session(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=self.request.region,
            botocore_session=core_session(),
        )

    def _clusters(self, session: boto3.Session, region: str) -> tuple[int, str]:
        """(how many ECS clusters ``region`` has, a note if it could not be read)."""
        try:
            return len(EcsReader(self.client("ecs", session, region), region).list_clusters()), ""
        except OpskitError as error:
            if error_code(error.__context__ or error) in NOT_ENABLED:
                return 0, ""  # a region this account has not opted in to
            return 0, f"{region}: not read: {error}"


def home_region(login: Login) -> str | None:
    """The region the login's profile or environment names (AWS_REGION…), if any."""
    import boto3

    if login.kind in ("profile", "sso"):
        return str(profile_session(login.profile).region_name or "") or None
    return boto3.Session().region_name


def discover(request: Request) -> Found:
    """The estate the ops login can see, as ``opskit.config.template.render`` takes it."""
    return Discovery(request).run()
