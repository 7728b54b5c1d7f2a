"""Redaction of executed notebooks: by value, by name in text, by name in structure."""

from __future__ import annotations

from pathlib import Path

from opskit.config import load_config
from opskit.runbooks.redact import notebook_redactor, redact_notebook, redact_text

ROOT = Path(__file__).resolve().parents[2]
CANARY = "canary-7f3a9c1e"


def redactor(values: tuple[str, ...] = ()) -> object:
    config = load_config(ROOT / "environments.toml")
    environ = {
        "DD_API_KEY": "dd-canary-key-1234",
        "HOME": "/home/alice",
        "AWS_SESSION_TOKEN": "tok-999999",
    }
    return notebook_redactor(config, environ, values)


def test_values_known_from_the_environment_or_given_are_replaced_anywhere() -> None:
    r = redactor((CANARY,))
    text = f"key dd-canary-key-1234 in <td>{CANARY}</td> and tok-999999; home /home/alice"
    out = redact_text(text, r)  # type: ignore[arg-type]
    assert "dd-canary-key-1234" not in out and CANARY not in out and "tok-999999" not in out
    assert "/home/alice" in out  # not secret-named: kept


def test_secret_names_hide_their_values_in_text() -> None:
    r = redactor()
    text = (
        "DATABASE_PASSWORD=hunter2 {'STRIPE_KEY': 'sk_live_1'} PARTNER_API_TOKEN: abc123 "
        'session_secret="s3cr3t" LOG_LEVEL=info'
    )
    out = redact_text(text, r)  # type: ignore[arg-type]
    for secret in ("hunter2", "sk_live_1", "abc123", "s3cr3t"):
        assert secret not in out
    assert "LOG_LEVEL=info" in out and "DATABASE_PASSWORD=***" in out


def test_a_whole_notebook_is_redacted_but_images_are_kept() -> None:
    r = redactor((CANARY,))
    image = "iVBORw0KGgo" + CANARY  # an image is opaque data, not text
    notebook = {
        "metadata": {"papermill": {"parameters": {"token": "tok-1234", "env": "dev"}}},
        "cells": [
            {
                "cell_type": "code",
                "source": f"print('{CANARY}')",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": [f"{CANARY}\n"]},
                    {"output_type": "display_data", "data": {
                        "text/html": f"<td>{CANARY}</td>", "image/png": image,
                        "application/json": {
                            "environment": [{"name": "DATABASE_PASSWORD", "value": "pw-1"}]
                        },
                    }},
                    {"output_type": "error", "ename": "RuntimeError", "evalue": f"bad {CANARY}",
                     "traceback": [f"RuntimeError: bad {CANARY}"]},
                ],
            }
        ],
    }  # fmt: skip
    out = redact_notebook(notebook, r)  # type: ignore[arg-type]
    flat = str({**out, "cells": [{**out["cells"][0], "outputs": [
        o for o in out["cells"][0]["outputs"] if o["output_type"] != "display_data"
    ]}]})  # fmt: skip
    assert CANARY not in flat and "tok-1234" not in flat
    data = out["cells"][0]["outputs"][1]["data"]
    assert CANARY not in data["text/html"]
    assert data["application/json"]["environment"][0]["value"] == "***"
    assert data["image/png"] == image
    assert out["metadata"]["papermill"]["parameters"]["env"] == "dev"
