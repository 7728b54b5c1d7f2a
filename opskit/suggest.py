"""Did-you-mean for names a user typed: ``prd`` → ``prod``.

One small function so every resolver (environments, catalog services, services read from
the live estate, addresses) words its suggestion the same way.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` Did you mean 'prod'?`` (with a leading space) or ``""`` when nothing is close."""
    names = sorted(set(known))
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not close:
        lowered = {n.lower(): n for n in names}
        close = [lowered[name.lower()]] if name.lower() in lowered else []
    return f" Did you mean '{close[0]}'?" if close else ""


def unknown(kind: str, name: str, known: Iterable[str]) -> str:
    """``unknown environment 'prd' (known: dev, stage, prod). Did you mean 'prod'?``"""
    names = list(known)
    listed = ", ".join(names) if names else "none"
    hint = did_you_mean(name, names)
    return f"unknown {kind} '{name}' (known: {listed})" + (f".{hint}" if hint else "")
