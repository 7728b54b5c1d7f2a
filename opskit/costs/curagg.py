"""The CUR backend's hot loop: sum amortization terms by key over streamed record batches.

Strings are read dictionary-encoded (as parquet stores them), so a key costs an integer
per line, never a string: each batch's dictionary is mapped to one growing vocabulary, the
keys are packed into one int64 per line, ``pandas.factorize`` groups them and
``numpy.bincount`` sums every term. Decoding and reading run on pyarrow's threads; only
small per-batch arrays reach Python. Tag values come out of the ``resource_tags`` map with
a vectorised lookup over its flattened keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opskit.costs import amortize


class Vocabulary:
    """Strings seen so far, each with a stable small id."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []

    def of(self, values: Iterable[Any]) -> np.ndarray:
        out = []
        for value in values:
            word = "" if value is None else str(value)
            if word not in self.ids:
                self.ids[word] = len(self.words)
                self.words.append(word)
            out.append(self.ids[word])
        return np.asarray(out, dtype=np.int64)


def dictionary_codes(array: Any, vocabulary: Vocabulary) -> np.ndarray:
    """Global ids of a (dictionary-encoded, or plain) string column; null is ''."""
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    mapping = vocabulary.of(array.dictionary.to_pylist())
    if len(mapping) == 0:
        return np.full(len(array), vocabulary.of([""])[0], dtype=np.int64)
    indices = array.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    empty = vocabulary.of([""])[0]
    return np.where(indices < 0, empty, mapping[np.clip(indices, 0, None)])


def map_codes(array: Any, key: str, vocabulary: Vocabulary) -> np.ndarray:
    """Global ids of ``array[key]`` for a MAP<string,string> column ('' when absent)."""
    offsets = array.offsets.to_numpy(zero_copy_only=False)
    first, last = int(offsets[0]), int(offsets[-1])
    keys, items = array.keys, array.items
    if len(keys) != last - first:  # a slice: the children are the whole array's
        keys, items = keys.slice(first, last - first), items.slice(first, last - first)
    match = pc.fill_null(pc.equal(keys, pa.scalar(key)), False).to_numpy(zero_copy_only=False)
    hits = np.flatnonzero(match)
    rows = np.searchsorted(offsets - first, hits, side="right") - 1  # the row of each hit
    codes = np.full(len(array), vocabulary.of([""])[0], dtype=np.int64)
    if len(hits):
        values = dictionary_codes(pc.take(items, pa.array(hits)), vocabulary)
        codes[rows[::-1]] = values[::-1]  # the first match wins
    return codes


def numbers(batch: pa.RecordBatch, name: str) -> np.ndarray:
    """A column as float64 with NaN for null (NaN for a column the file lacks)."""
    index = batch.schema.get_field_index(name)
    if index < 0:
        return np.full(batch.num_rows, np.nan)
    column = batch.column(index).cast(pa.float64())
    return column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)


def term_values(term: amortize.Term, batch: pa.RecordBatch) -> np.ndarray:
    """A term for every line of ``batch`` (NaN where SQL would give NULL)."""
    if isinstance(term, amortize.Col):
        return numbers(batch, term.name)
    if isinstance(term, amortize.Zero):
        return np.zeros(batch.num_rows)
    if isinstance(term, amortize.Either):
        first = term_values(term.first, batch)
        return np.where(np.isnan(first), term_values(term.second, batch), first)
    left, right = term_values(term.left, batch), term_values(term.right, batch)
    return left + right if isinstance(term, amortize.Plus) else left - right


@dataclass
class Totals:
    """Sums of every term per key tuple, folded batch by batch."""

    names: list[str]
    vocabularies: list[Vocabulary]
    sums: dict[tuple[int, ...], np.ndarray] = field(default_factory=dict)

    def add(self, keys: list[np.ndarray], values: list[np.ndarray]) -> None:
        """Fold one batch: ``keys`` are id arrays, ``values`` the terms (NaN ignored)."""
        bits = [max(1, int(max(len(v.words), 1) - 1).bit_length()) for v in self.vocabularies]
        if sum(bits) <= 62:
            packed = np.zeros(len(keys[0]), dtype=np.int64)
            for key, width in zip(keys, bits, strict=True):
                packed = (packed << width) | key
            groups, uniques = _factorize(packed)
            tuples = [_unpack(int(u), bits) for u in uniques]
        else:  # too many distinct values to pack: group the key rows themselves
            stacked = np.stack(keys, axis=1)
            rows, groups = np.unique(stacked, axis=0, return_inverse=True)
            tuples = [tuple(int(x) for x in row) for row in rows]
        weights = np.stack(
            [np.bincount(groups, np.nan_to_num(v, nan=0.0), len(tuples)) for v in values], axis=1
        )
        for group, key in enumerate(tuples):
            total = self.sums.get(key)
            self.sums[key] = weights[group] if total is None else total + weights[group]

    def labelled(self) -> list[tuple[list[str], list[float]]]:
        """Every key tuple, as its strings, with its summed terms."""
        return [
            ([v.words[i] for v, i in zip(self.vocabularies, key, strict=True)], list(total))
            for key, total in self.sums.items()
        ]


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import pandas as pd

    codes, uniques = pd.factorize(values, sort=False)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques)


def _unpack(packed: int, bits: list[int]) -> tuple[int, ...]:
    out = []
    for width in reversed(bits):
        out.append(packed & ((1 << width) - 1))
        packed >>= width
    return tuple(reversed(out))
