"""Checking a change's inputs before anything is planned: bad input never mutates.

Every check raises ``UsageError`` (exit 2) with one line naming the option and what it
accepts. Image references follow the docker/OCI distribution reference grammar
(github.com/distribution/reference, ``reference.go``)::

    reference  := name [ ":" tag ] [ "@" digest ]
    name       := [domain "/"] path-component ["/" path-component]*
    domain     := host [":" port]          host: DNS labels, or [IPv6]
    path-component := [a-z0-9]+ (separator [a-z0-9]+)*   separator: [_.] | __ | -+
    tag        := [\\w][\\w.-]{0,127}
    digest     := algorithm ":" hex        algorithm: [A-Za-z][A-Za-z0-9]* ([+.-_] ...)*
                                           hex: [0-9a-fA-F]{32,}

The name is at most 255 characters; the OCI image spec fixes sha256 digests at 64 and
sha512 at 128 lowercase hex characters.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterable, Sequence

from opskit.errors import UsageError

_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[_.]|__|-+)"
_PATH_COMPONENT = rf"{_ALNUM}(?:{_SEPARATOR}{_ALNUM})*"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])"
_DOMAIN = rf"{_HOST}(?::[0-9]+)?"
_TAG = r"[\w][\w.-]{0,127}"
_ALGORITHM = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*"
_DIGEST = rf"{_ALGORITHM}:[0-9a-fA-F]{{32,}}"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"

REFERENCE = re.compile(
    rf"^(?P<name>(?:(?P<domain>{_DOMAIN})/)?{_PATH})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?$",
    re.ASCII,
)
TAG = re.compile(rf"^{_TAG}$", re.ASCII)
NAME_MAX = 255
_DIGEST_LENGTHS = {"sha256": 64, "sha512": 128}
_CONTAINER = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]{0,254}$")

MAX_TIMEOUT_S = 24 * 3600.0
MAX_PAUSE_S = 3600.0
MAX_DEREGISTRATION_DELAY_S = 3600


def image_reference(text: str, what: str = "--image") -> str:
    """``text`` if it is a valid image reference (name, optional tag and digest)."""
    match = REFERENCE.fullmatch(text)
    if match is None:
        raise UsageError(
            f"{what} {text!r}: not an image reference "
            "([registry[:port]/]path[:tag][@algo:hex], lowercase path)"
        )
    if len(match["name"]) > NAME_MAX:
        raise UsageError(f"{what} {text!r}: the repository name is over {NAME_MAX} characters")
    if match["digest"]:
        algorithm, _, hex_part = match["digest"].partition(":")
        wanted = _DIGEST_LENGTHS.get(algorithm)
        if wanted is not None and (len(hex_part) != wanted or hex_part != hex_part.lower()):
            raise UsageError(
                f"{what} {text!r}: a {algorithm} digest is {wanted} lowercase hex characters"
            )
    return text


def image_spec(spec: str) -> str:
    """``spec`` if it is a valid ``--image`` value: TAG, REF, CONTAINER=TAG or CONTAINER=REF.

    A bare value with no ``/``, ``:`` or ``@`` is a tag; anything else is a reference.
    """
    container, eq, value = spec.rpartition("=")
    if eq and not _CONTAINER.fullmatch(container):
        raise UsageError(f"--image {spec!r}: {container!r} is not a container name")
    if not value:
        raise UsageError(f"--image {spec!r}: give a tag or an image reference")
    if not any(c in value for c in "/:@") and TAG.fullmatch(value):
        return spec
    image_reference(value)
    return spec


def image_specs(specs: Iterable[str]) -> tuple[str, ...]:
    """Every ``--image`` value checked (at least one)."""
    checked = tuple(image_spec(s) for s in specs)
    if not checked:
        raise UsageError("deploy needs at least one --image")
    return checked


def finite(value: float, option: str, *, low: float, high: float, low_open: bool = False) -> float:
    """``value`` if finite and within ``low``..``high`` (``low`` excluded if ``low_open``)."""
    if not math.isfinite(value):
        raise UsageError(f"{option} {value}: must be a finite number")
    below = value <= low if low_open else value < low
    if below or value > high:
        bracket = "(" if low_open else "["
        raise UsageError(f"{option} {value:g}: must be in {bracket}{low:g}, {high:g}]")
    return value


def timeout(value: float | None) -> float | None:
    """``--timeout``: seconds, positive, finite, at most a day."""
    if value is None:
        return None
    return finite(value, "--timeout", low=0.0, high=MAX_TIMEOUT_S, low_open=True)


def pause(value: float | None) -> float | None:
    """``--pause``: seconds between ramp steps, 0..3600."""
    if value is None:
        return None
    return finite(value, "--pause", low=0.0, high=MAX_PAUSE_S)


def error_rate(value: float) -> float:
    """``--max-error-rate``: a share of requests, 0..1."""
    return finite(value, "--max-error-rate", low=0.0, high=1.0)


def deregistration_delay(value: int) -> int:
    """``--seconds``: ELBv2 ``deregistration_delay.timeout_seconds`` accepts 0..3600."""
    if not 0 <= value <= MAX_DEREGISTRATION_DELAY_S:
        raise UsageError(f"--seconds {value}: must be 0..{MAX_DEREGISTRATION_DELAY_S}")
    return value


def steps(text: str | None) -> tuple[int, ...]:
    """``--steps 1,5,25,50,100``: whole percents, strictly rising, each 1..100."""
    if text is None:
        return ()
    try:
        ramp = tuple(int(s) for s in text.split(","))
    except ValueError:
        raise UsageError(f"--steps {text!r}: give whole percents like 1,5,25,50,100") from None
    return ramp_steps(ramp, f"--steps {text}")


def ramp_steps(ramp: Sequence[int], what: str) -> tuple[int, ...]:
    """A ramp: non-empty, strictly rising percents between 1 and 100."""
    rising = all(a < b for a, b in itertools.pairwise(ramp))
    if not ramp or not rising or any(not 1 <= s <= 100 for s in ramp):
        raise UsageError(f"{what}: rising percents between 1 and 100")
    return tuple(ramp)


def revision(value: int | None) -> int | None:
    """``--revision``: task definition revisions start at 1."""
    if value is not None and value < 1:
        raise UsageError(f"--revision {value}: revisions start at 1")
    return value


def access(value: str | None, levels: Sequence[str]) -> str | None:
    """``--access``: one of the levels environments.toml's ``[access]`` configures."""
    if value is not None and value not in levels:
        raise UsageError(f"--access {value!r}: use one of {', '.join(levels)}")
    return value
