"""Integer codes for the CUR's low-cardinality text columns, so Acero groups on integers.

Grouping on strings costs twice: every line's text is decoded from the parquet pages, then
hashed and compared. The account, line type and product columns hold a few dozen distinct
values, so they are read dictionary-encoded (each page's dictionary plus an index a line)
and each batch's small dictionary is mapped to process-wide codes; a line then costs one
integer ``take``. Batches' dictionaries differ, which is why Acero cannot group on them
directly ("Unifying differing dictionaries"). After the aggregate, ``decode`` turns the
codes of the (few) groups back into text. Measured on a 10-million-line bill: 2.8 s -> 1.7 s
of CPU for the monthly and daily queries, against DuckDB's 1.5 s.
"""

from __future__ import annotations

import threading
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

CODED = pa.dictionary(pa.int32(), pa.string())
_CODE, _PRESENT = "opskit_text_code", "opskit_text_present"


class _Codebook:
    """Text -> code, append-only and shared by Acero's threads (a lock per batch)."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self._texts: list[str] = []
        self._lock = threading.Lock()

    def codes(self, texts: list[str | None]) -> pa.Array:
        with self._lock:
            found: list[int | None] = []
            for text in texts:
                if text is None:
                    found.append(None)
                    continue
                code = self._codes.get(text)
                if code is None:
                    code = self._codes[text] = len(self._texts)
                    self._texts.append(text)
                found.append(code)
        return pa.array(found, pa.int32())

    def texts(self) -> pa.Array:
        with self._lock:
            return pa.array(self._texts, pa.string())


_BOOK = _Codebook()


def _code(ctx: Any, column: Any) -> Any:
    """Each line's code: the batch's dictionary mapped once, then taken by index."""
    return pc.take(_BOOK.codes(column.dictionary.to_pylist()), column.indices)


def _present(ctx: Any, column: Any) -> Any:
    """True where the line has non-empty text (``coalesce(x, '') <> ''``), from the dictionary."""
    non_empty = pc.not_equal(column.dictionary, pa.scalar(""))
    return pc.fill_null(pc.take(non_empty, column.indices), False)


def _register() -> None:
    try:
        pc.get_function(_CODE)
        return
    except pa.ArrowKeyError:
        pass
    for name, func, out, doc in (
        (_CODE, _code, pa.int32(), "The process-wide integer code of a text."),
        (_PRESENT, _present, pa.bool_(), "Whether a text is present and non-empty."),
    ):
        summary = {"summary": name, "description": doc}
        pc.register_scalar_function(func, name, summary, {"column": CODED}, out)


def _as_coded(column: str, kind: pa.DataType) -> Any:
    """``column`` as dictionary-encoded text whatever its physical type in this file set."""
    field = pc.field(column)
    if pa.types.is_dictionary(kind):
        return field.cast(CODED)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        field = field.cast(pa.string())  # an account id stored as a number, say
    return field.cast(CODED)


def code(column: str, kind: pa.DataType) -> Any:
    """An expression: ``column``'s text as an int32 code (null stays null)."""
    _register()
    return pc.Expression._call(_CODE, [_as_coded(column, kind)])


def present(column: str, kind: pa.DataType) -> Any:
    """An expression: ``column`` holds non-empty text."""
    _register()
    return pc.Expression._call(_PRESENT, [_as_coded(column, kind)])


def decode(codes: Any) -> Any:
    """The texts of an int32 code column (an aggregate's few groups)."""
    return pc.take(_BOOK.texts(), codes)
