"""A small modal that asks for one value (a count, an image tag, seconds, a name typed back).

Dismisses with the text (Enter, when valid) or None (Esc). Validation uses Textual's
validators, so the reason a value is refused shows under the input as it is typed.
"""

from __future__ import annotations

import re
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.validation import Function, Integer, Regex, ValidationResult, Validator
from textual.widgets import Input, Label, Static

from tui import bindings
from tui.workers import ReportsWorkerErrors

TAG = re.compile(r"^[\w][\w.-]{0,127}$")


def int_between(low: int, high: int) -> Validator:
    return Integer(minimum=low, maximum=high, failure_description=f"a whole number {low}-{high}")


def must_equal(text: str) -> Validator:
    return Function(lambda value: value == text, f"type {text} exactly")


def image_tag() -> Validator:
    return Regex(TAG.pattern, failure_description="an image tag such as 1.43.0")


def optional_int() -> Validator:
    return Function(
        lambda value: value == "" or value.isdigit(), "a revision number, or empty for previous"
    )


class AskScreen(ReportsWorkerErrors, ModalScreen[str | None]):
    """Ask one question."""

    BINDINGS: ClassVar[list[BindingType]] = [*bindings.ASK]

    def __init__(
        self, title: str, label: str, *, value: str = "", validator: Validator | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.label = label
        self.value = value
        self.validator = validator

    def compose(self) -> ComposeResult:
        with Vertical(id="ask", classes="dialog"):
            yield Static(self.title_text, classes="dialog-title")
            yield Label(self.label)
            yield Input(
                self.value,
                id="ask-input",
                validators=[self.validator] if self.validator else [],
                validate_on=["changed", "submitted"],
            )
            yield Static("", id="ask-error", classes="error-line")
            yield Static("Enter to continue · Esc to cancel", classes="hint")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._explain(event.validation_result)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.validation_result is not None and not event.validation_result.is_valid:
            self._explain(event.validation_result)
            return
        self.dismiss(event.value.strip())

    def _explain(self, result: ValidationResult | None) -> None:
        text = "" if result is None or result.is_valid else "; ".join(result.failure_descriptions)
        self.query_one("#ask-error", Static).update(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
