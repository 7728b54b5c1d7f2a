"""Every command, every option, bad values: one line, a documented exit code, nothing changed.

The command tree is walked from the CLI itself (so a new command or option is fuzzed without
editing this file). Each command gets a safe, otherwise valid command line (prod, which is
protected and never confirmed here, plus ``--dry-run`` where there is one); then one
parameter at a time is replaced by a bad value. Commands run in-process through
``opskit.cli.main.invoke`` (the console script's own error boundary) against the session's
sandbox. The exit codes allowed are read from the README's table (the documented contract),
not from ``opskit.errors``. Before and after, the journal's line count and a fingerprint of
the estate read with boto3 as alice must be the same.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from opskit.cli.main import app, invoke

REFUSED = 7  # the README's code for "refused by a guard"

ROOT = Path(__file__).resolve().parents[2]
ENVS = ("dev", "stage", "prod")

# A valid command line for each command: positionals first, then required options. Changes
# aim at prod (protected: never applied without --confirm prod) and only plan (--dry-run).
BASE: dict[str, list[str]] = {
    "apply": ["PLAN"],
    "audit show": ["aaaa"],
    "console": ["--env", "prod"],
    "deploy": ["api", "--env", "prod", "--image", "1.2.3", "--dry-run"],
    "dns shift": ["www", "--to", "new", "--dry-run"],
    "drift": ["stage", "prod"],
    "elb draining": ["--env", "prod", "--seconds", "60", "--dry-run"],
    "exec": ["--env", "prod", "--", "true"],
    "logs": ["api", "--env", "prod", "--since", "1m"],
    "monitors apply": ["--env", "prod"],
    "restart": ["api", "--env", "prod", "--dry-run"],
    "rollback": ["api", "--env", "prod", "--dry-run"],
    "runbook run": ["scale", "--env", "prod", "-p", "service=api", "-p", "count=2", "--apply"],
    "runbook show": ["scale"],
    "sandbox faults set": ["--service", "ecs", "--operation", "NoSuchOperation", "--count", "1"],
    "scale": ["api", "2", "--env", "prod", "--dry-run"],
    "show": ["api", "--env", "prod"],
    "stop-task": ["0123456789abcdef", "--env", "prod", "--service", "api", "--dry-run"],
}
# Interactive or owning the shared sandbox: a valid line would open a UI, start JupyterLab,
# or start, stop or reset the sandbox every other test uses.
SKIP = {"tui", "notebooks", "sandbox start", "sandbox stop", "sandbox reset"}
# Commands whose purpose is to change the sandbox's fault rules (a harmless rule, on an
# operation that does not exist): what they set is cleared after each line, not compared.
SETS_FAULTS = {"sandbox faults set"}


def bad_values(tmp: Path) -> dict[str, str]:
    return {
        "empty": "",
        "negative": "-1",
        "huge": "9" * 30,
        "nan": "nan",
        "unicode": "ünï☃\u202ecode",
        "folder": str(tmp),
        "missing-file": str(tmp / "no-such-file.json"),
    }


def documented_exit_codes() -> set[int]:
    """The codes of the README's "Exit codes" table, minus 1 ("a bug")."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Exit codes", 1)[1].split("\n## ", 1)[0]
    codes = {int(c) for c in re.findall(r"^\| (\d+) \|", table, re.MULTILINE)}
    assert {0, 2, 3, 7, 130} <= codes, table
    return codes - {1}


def commands() -> Iterator[tuple[str, Any]]:
    def walk(command: Any, path: list[str]) -> Iterator[tuple[str, Any]]:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield " ".join(path), command
            return
        for name, sub in sorted(subcommands.items()):
            yield from walk(sub, [*path, name])

    yield from walk(typer.main.get_command(app), [])


def cases(tmp: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(command, label, argv): each command's base line with one parameter set to one bad
    value."""
    values = bad_values(tmp)
    for path, command in commands():
        if path in SKIP:
            continue
        base = BASE.get(path, [])
        base = [str(tmp / "plan.json") if a == "PLAN" else a for a in base]
        positionals = [p for p in command.params if p.param_type_name == "argument"]
        cut = base.index("--") if "--" in base else len(base)
        head, tail = base[:cut], base[cut:]
        takes_values = [p for p in command.params if not getattr(p, "is_flag", False)]
        if not takes_values:  # nothing to set: a stray argument instead
            for label, value in values.items():
                yield path, f"{path} extra={label}", [*path.split(), *head, value, *tail]
        for param in takes_values:
            for label, value in values.items():
                args = replace(head, positionals, param, value)
                yield path, f"{path} {param.name}={label}", [*path.split(), *args, *tail]


def replace(base: list[str], positionals: list[Any], param: Any, value: str) -> list[str]:
    """``base`` with ``param``'s value set to ``value`` (added if ``base`` lacks it)."""
    args = list(base)
    if param.param_type_name == "argument":
        index = positionals.index(param)
        if index < len(args) and not args[index].startswith("-"):
            args[index] = value
        else:
            args.insert(index, value)
        return args
    name = next(o for o in param.opts if o.startswith("--"))
    for opt in param.opts:
        if opt in args:
            at = args.index(opt)
            return [*args[:at], f"{name}={value}", *args[at + 2 :]]
    return [*args, f"{name}={value}"]


def run_quietly(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = invoke(argv)
    return code, out.getvalue(), err.getvalue()


def fingerprint(alice: Any, faults: Any) -> dict[str, Any]:
    """What a change could touch: services' desired count and task definition, target
    groups' deregistration delay, DNS records and weights; and the sandbox's fault rules."""
    seen: dict[str, Any] = {}
    for env in ENVS:
        ecs = alice.client("ecs", env=env)
        services = []
        for cluster in ecs.list_clusters()["clusterArns"]:
            arns = [
                arn
                for page in ecs.get_paginator("list_services").paginate(cluster=cluster)
                for arn in page["serviceArns"]
            ]
            for i in range(0, len(arns), 10):
                found = ecs.describe_services(cluster=cluster, services=arns[i : i + 10])
                services += [
                    (s["serviceArn"], s["desiredCount"], s["taskDefinition"])
                    for s in found["services"]
                ]
        elb = alice.client("elbv2", env=env)
        delays = []
        for group in elb.describe_target_groups()["TargetGroups"]:
            attributes = elb.describe_target_group_attributes(
                TargetGroupArn=group["TargetGroupArn"]
            )["Attributes"]
            delays.append(
                (
                    group["TargetGroupArn"],
                    {a["Key"]: a["Value"] for a in attributes}.get(
                        "deregistration_delay.timeout_seconds"
                    ),
                )
            )
        dns = alice.client("route53", env=env)
        records = []
        for zone in dns.list_hosted_zones()["HostedZones"]:
            for record in dns.list_resource_record_sets(HostedZoneId=zone["Id"])[
                "ResourceRecordSets"
            ]:
                records.append(
                    (
                        record["Name"],
                        record["Type"],
                        record.get("SetIdentifier"),
                        record.get("Weight"),
                    )
                )
        seen[env] = {
            "services": sorted(services),
            "delays": sorted(delays),
            "dns": sorted(records),
        }
    seen["faults"] = faults.list()
    return seen


def journal_records(state: Path) -> list[dict[str, Any]]:
    journal = state / "journal.jsonl"
    lines = journal.read_bytes().splitlines() if journal.exists() else []
    return [json.loads(line) for line in lines]


def refusal(record: dict[str, Any]) -> bool:
    """A guard's refusal, recorded by design (design.md: outcome ``refused``): the journal
    says someone tried; nothing was touched (no intent record precedes it)."""
    return record.get("type") == "outcome" and record.get("outcome") == "refused"


@pytest.mark.slow
def test_every_command_rejects_bad_values_cleanly(
    tmp_path: Path, opskit_state_dir: Path, alice: Any, sandbox_faults: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("OPSKIT_CONFIG", str(ROOT / "environments.toml"))
    # One workspace for all command lines (as one long-lived process would have): building
    # boto3 sessions and clients anew for each of ~900 lines costs minutes, not coverage.
    import opskit.workspace

    opened: dict[tuple[Any, ...], Any] = {}
    real_open = opskit.workspace.open_workspace

    def open_once(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted((k, repr(v)) for k, v in kwargs.items() if k != "mfa_prompt")))
        if key not in opened:
            opened[key] = real_open(*args, **kwargs)
        return opened[key]

    monkeypatch.setattr(opskit.workspace, "open_workspace", open_once)
    allowed = documented_exit_codes()
    folder = tmp_path / "a folder"
    folder.mkdir()
    monkeypatch.chdir(tmp_path)  # relative paths (`--plan-out nan`) land here, not in the repo
    before = fingerprint(alice, sandbox_faults)
    journaled = len(journal_records(opskit_state_dir))
    started = time.monotonic()
    problems: list[str] = []
    driven: set[str] = set()
    runs = 0
    slowest = (0.0, "")
    for command, label, argv in cases(folder):
        began = time.monotonic()
        code, _out, err = run_quietly(argv)
        slowest = max(slowest, (time.monotonic() - began, label))
        runs += 1
        driven.add(command)
        if command in SETS_FAULTS:
            sandbox_faults.clear()
        said = [line for line in err.splitlines() if line.startswith("opskit: ")]
        if code not in allowed:
            problems.append(f"{label}: exit {code} not in the README's table: {err.strip()!r}")
        elif "Traceback" in err or "opskit: unexpected " in err:
            problems.append(f"{label}: {err.strip()!r}")
        elif code != 0 and len(said) != 1:
            problems.append(f"{label}: exit {code} with {len(said)} error lines: {err!r}")
        written = journal_records(opskit_state_dir)[journaled:]
        journaled += len(written)
        if written and not (code == REFUSED and all(refusal(r) for r in written)):
            problems.append(f"{label}: wrote {len(written)} journal record(s): {err!r}")
    elapsed = time.monotonic() - started
    print(
        f"fuzz: {runs} command lines over {len(driven)} commands in {elapsed:.1f} s"
        f" (slowest: {slowest[1]}, {slowest[0]:.2f} s)"
    )
    assert not problems, "\n".join(problems)
    assert fingerprint(alice, sandbox_faults) == before, "the estate changed"
    assert driven == {path for path, _ in commands()} - SKIP
    assert runs > 500
