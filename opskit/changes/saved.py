"""Saved plans: who may sign them, and whether one still says what its intent does.

``opskit apply PLAN.json`` trusts nothing in the file but what its signature and the live
estate confirm:

- ``plan_signers``: the keys this workspace signs with and accepts (the team's KMS key when
  ``[audit] kms_key_id`` is set, and the user's own local key);
- ``outside_environment``: a plan acts in one environment: its account and region are the
  config's for that environment, every diff's resource is named under it, and every ARN
  in its diffs and parameters lies in that account and region;
- ``mismatches``: the plan rebuilt from its intent (kind, env, access, parameters) and
  planned again against the live estate must give exactly the saved plan.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from opskit.audit.signing import HmacSigner, KmsSigner, Signer
from opskit.changes.plan import Diff, Plan
from opskit.config import Config
from opskit.errors import UsageError

_ARN = re.compile(r"arn:aws[\w-]*:([a-z0-9-]+):([a-z0-9-]*):(\d{12}|aws)?:[^\s\"']+")
_FIXED = ("change", "env", "account_id", "region", "access")  # never depend on live state
_DERIVED = ("params", "summary")  # may, through live values


class OpsClients(Protocol):
    """Where the KMS client comes from: ``opskit.accounts.Accounts``."""

    def ops_client(self, service: str, region: str | None = None) -> Any: ...


def plan_signers(config: Config, state_dir: Path, accounts: OpsClients) -> list[Signer]:
    """The signers of this workspace, the one to sign with first.

    With ``[audit] kms_key_id`` plans are signed by that KMS key (from the ops account,
    in the key ARN's region), so teammates can apply them; plans signed with the user's
    own local key are accepted too.
    """
    signers: list[Signer] = []
    key = config.audit.kms_key_id
    if key:
        region = key.split(":")[3] if key.startswith("arn:") else None
        signers.append(KmsSigner(accounts.ops_client("kms", region), key))
    signers.append(HmacSigner.from_state_dir(state_dir))
    return signers


def outside_environment(plan: Plan, config: Config) -> list[str]:
    """Why ``plan`` reaches outside its environment, one line per reason (empty: it doesn't)."""
    try:
        environment = config.environment(plan.env)
    except UsageError as error:
        return [str(error)]
    where = f"{plan.env} (account {environment.account_id}, region {environment.region})"
    problems = []
    if plan.account_id != environment.account_id or plan.region != environment.region:
        problems.append(
            f"the plan names account {plan.account_id}, region {plan.region}, not {where}"
        )
    for diff in plan.diffs:
        if diff.resource.split("/", 1)[0] != plan.env:
            problems.append(f"{diff.resource} is not a resource of {where}")
    for arn, region, account in _arns([plan.params, [_values(d) for d in plan.diffs]]):
        if account not in ("", "aws", environment.account_id) or region not in (
            "",
            *environment.regions,  # any region the environment runs in
        ):
            problems.append(f"{arn} is not a resource of {where}")
    return problems


def _values(diff: Diff) -> list[Any]:
    return [diff.before, diff.after]


def _arns(value: Any) -> Iterator[tuple[str, str, str]]:
    """Every ARN in a JSON value (keys included): (arn, region, account)."""
    if isinstance(value, str):
        for match in _ARN.finditer(value):
            yield match.group(0), match.group(2), match.group(3) or ""
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _arns(key)
            yield from _arns(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _arns(item)


def mismatches(saved: Plan, fresh: Plan) -> tuple[bool, list[str]]:
    """How ``saved`` differs from ``fresh`` (its intent planned again now).

    Returns (stale, lines). ``stale``: only live values moved since (a ``before`` differs,
    a diff is no longer or newly needed), so parameters and summary derived from them may
    differ too. Otherwise each line is something the plan says that its intent does not
    (an ``after``, the environment, the access, parameters, summary, diff order).
    """
    edited = [
        f"{name}: the plan says {getattr(saved, name)!r}, its intent gives {getattr(fresh, name)!r}"
        for name in _FIXED
        if getattr(saved, name) != getattr(fresh, name)
    ]
    stale: list[str] = []
    old = {d.key: d for d in saved.diffs}
    new = {d.key: d for d in fresh.diffs}
    if len(old) != len(saved.diffs):
        edited.append("the plan lists a resource's field twice")
    for key in sorted(old.keys() | new.keys()):
        was, now = old.get(key), new.get(key)
        label = key.replace("#", " ")
        if now is None and was is not None:
            stale.append(f"{label}: planned {was.before!r} -> {was.after!r}, now nothing to do")
        elif was is None and now is not None:
            stale.append(f"{label}: not in the plan, now {now.before!r} -> {now.after!r}")
        elif was is not None and now is not None:
            if was.before != now.before:
                stale.append(f"{label}: planned {was.before!r}, now {now.before!r}")
            if was.after != now.after:
                edited.append(
                    f"{label}: the plan sets {was.after!r}, its intent gives {now.after!r}"
                )
    if edited:
        return False, edited
    if stale:
        return True, stale
    derived = [
        f"{name}: the plan says {getattr(saved, name)!r}, its intent gives {getattr(fresh, name)!r}"
        for name in _DERIVED
        if getattr(saved, name) != getattr(fresh, name)
    ]
    if [d.key for d in saved.diffs] != [d.key for d in fresh.diffs]:
        derived.append("the diffs are not in the order its intent gives")
    return False, derived
