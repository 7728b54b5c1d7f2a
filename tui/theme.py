"""The dashboard's own themes, beside Textual's built-in ones (pick any with ctrl+t).

Environment colours come from environments.toml; these themes only set the chrome, so
an environment's colour means the same thing in every theme.
"""

from __future__ import annotations

from textual.theme import Theme

OPSKIT_DARK = Theme(
    name="opskit-dark",
    primary="#4EA1FF",
    secondary="#7C8CF8",
    accent="#FFB454",
    warning="#E5C07B",
    error="#F07178",
    success="#8BD49C",
    foreground="#D8DEE9",
    background="#0F1419",
    surface="#161C23",
    panel="#1F2630",
    dark=True,
)

OPSKIT_LIGHT = Theme(
    name="opskit-light",
    primary="#0B61C4",
    secondary="#5A4FCF",
    accent="#B25E00",
    warning="#9A6700",
    error="#C4312F",
    success="#1A7F37",
    foreground="#1F2328",
    background="#FFFFFF",
    surface="#F6F8FA",
    panel="#EAEEF2",
    dark=False,
)

THEMES = (OPSKIT_DARK, OPSKIT_LIGHT)
