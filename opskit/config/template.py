"""A commented environments.toml for an estate opskit has never seen (`opskit init`).

Pure: what discovery found goes in (``Found``), TOML text comes out, the same text for the
same estate (no dates, stable order), so running init twice changes nothing. Environment
names, order, protection and colour are *suggested* from account names and tags; the
comments say so, and what to edit.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# Known environment words, in promotion order: (canonical name, words that mean it).
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("dev", ("dev", "development", "develop")),
    ("test", ("test", "testing")),
    ("qa", ("qa",)),
    ("stage", ("stage", "staging", "stg")),
    ("uat", ("uat",)),
    ("preprod", ("preprod", "pre-prod", "preproduction")),
    ("prod", ("prod", "production", "prd", "live")),
)
COLOUR = {"dev": "green", "test": "cyan", "qa": "cyan", "stage": "yellow", "uat": "magenta",
          "preprod": "orange", "prod": "red"}  # fmt: skip
PROTECTED = frozenset({"preprod", "prod"})
NAME_TAGS = ("opskit:environment", "Environment", "environment", "Env", "env", "Stage", "stage")
LEVELS = ("read", "deploy", "admin")


@dataclass(frozen=True)
class FoundAccount:
    """One member account as discovery saw it."""

    id: str
    name: str
    tags: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)  # access level -> assumable role
    regions: tuple[str, ...] = ()  # regions with ECS clusters
    notes: tuple[str, ...] = ()  # what could not be read, said in a comment


@dataclass(frozen=True)
class Found:
    """The ops login and the accounts it can reach."""

    ops_account: str
    ops_region: str
    login: str  # profile | sso | environment | sandbox
    accounts: tuple[FoundAccount, ...]
    profile: str | None = None
    endpoint_url: str | None = None
    tried: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # level -> role names
    skipped: tuple[tuple[str, str, str], ...] = ()  # (id, name, why) not made environments


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:63] or "env"


def stage_of(text: str) -> str | None:
    """The known environment word in ``text`` (``acme-production`` -> ``prod``)."""
    slug = _slug(text)
    words = set(slug.split("-"))
    for name, spellings in STAGES:
        if any(w in words or ("-" in w and w in slug) for w in spellings):
            return name
    return None


def suggested_name(account: FoundAccount) -> str:
    """An environment name from the account's tags, else its name."""
    for key in NAME_TAGS:
        if account.tags.get(key):
            return stage_of(account.tags[key]) or _slug(account.tags[key])
    return stage_of(account.name) or _slug(account.name)


def _rank(name: str) -> int:
    """Promotion order of a name by its known word (``acme-dev-2`` ranks as dev)."""
    stage = stage_of(name)
    return next((i for i, (known, _) in enumerate(STAGES) if known == stage), len(STAGES))


def named(accounts: Sequence[FoundAccount]) -> list[tuple[str, FoundAccount]]:
    """(environment name, account) in promotion order; clashing names fall back to slugs."""
    names = [suggested_name(a) for a in accounts]
    counts = Counter(names)
    pairs = [
        (name if counts[name] == 1 else _slug(a.name) or a.id, a)
        for name, a in zip(names, accounts, strict=True)
    ]
    return sorted(pairs, key=lambda pair: (_rank(pair[0]), pair[0], pair[1].id))


def _q(value: str) -> str:
    return json.dumps(value)  # a TOML basic string is a JSON string


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def render(found: Found) -> str:
    """The commented TOML for ``found``."""
    envs = named(found.accounts)
    access = _access(found.accounts)
    out: list[str] = [
        "# environments.toml written by `opskit init` from what the ops login can see.",
        "# Environment names, order, protection and colours are suggestions from account",
        "# names and tags: edit them freely. Check with `opskit config check`; run",
        "# `opskit init --force` again to start over.",
        "",
        "# The ops account: where you log in; every environment is entered from it.",
        "[ops]",
        'name = "ops"',
        f"account_id = {_q(found.ops_account)}",
        f"region = {_q(found.ops_region)}",
        f"login = {_q(found.login)}",
    ]
    if found.profile:
        out.append(f"profile = {_q(found.profile)}")
    if found.endpoint_url and found.login != "sandbox":
        out.append(f"endpoint_url = {_q(found.endpoint_url)}  # not AWS: every call goes here")
    out += ["", "# Access level -> the role opskit assumes in every environment account."]
    for level in LEVELS:
        tried = ", ".join(found.tried.get(level, ())) or "none"
        if level not in access:
            out.append(f"# {level}: no role could be assumed in any account (tried: {tried})")
    out.append("[access]")
    for level in LEVELS:
        if level in access:
            out.append(f"{level} = {_q(access[level])}")
    for order, (name, account) in enumerate(envs, start=1):
        out += ["", *_environment(name, account, found, access, order)]
    for account_id, account_name, why in found.skipped:
        out += ["", f"# Not an environment: {account_id} ({account_name}): {why}"]
    out += [
        "",
        "# The catalog ([clusters.*], [services.*]) is optional: opskit discovers every",
        "# cluster, service and task without it. Adding a service there buys policy:",
        "# scale bounds (size.ENV min/max), `opskit drift` against what it should run,",
        "# the DNS name it answers on, monitors as code, and a cluster's concern (api, cdn…).",
    ]
    if found.login == "sandbox":
        out += ["", "[sandbox]", "enabled = true"]
    return "\n".join(out) + "\n"


def _access(accounts: Sequence[FoundAccount]) -> dict[str, str]:
    """Per level, the role name most accounts can assume (the rest get overrides)."""
    chosen = {}
    for level in LEVELS:
        names = Counter(a.roles[level] for a in accounts if level in a.roles)
        if names:
            chosen[level] = sorted(names.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    return chosen


def _environment(
    name: str, account: FoundAccount, found: Found, access: Mapping[str, str], order: int
) -> list[str]:
    stage = stage_of(name)
    tags = f", tags {dict(account.tags)}" if account.tags else ""
    lines = [f"# Account {account.name!r}{tags}"]
    if not account.regions:
        lines.append("# No ECS cluster found in any region read: the ops region is assumed.")
    missing = [level for level in access if level not in account.roles]
    if missing:
        lines.append(f"# No assumable role here for: {', '.join(missing)}")
    lines += [f"# {note}" for note in account.notes]
    lines += [
        f"[environments.{name}]",
        f"account_id = {_q(account.id)}",
        f"regions = {_list(account.regions or (found.ops_region,))}",
        f"protected = {'true' if stage in PROTECTED else 'false'}",
        f"colour = {_q(COLOUR.get(stage or '', 'blue'))}",
        f"order = {order}",
    ]
    overrides = {level: role for level, role in account.roles.items() if access.get(level) != role}
    if overrides:
        inner = ", ".join(f"{level} = {_q(role)}" for level, role in sorted(overrides.items()))
        lines.append(f"roles = {{ {inner} }}")
    return lines
