"""Bills shaped unlike the sandbox's generator, for the CUR benchmark.

The generator writes one file per month, two tag keys (team, service) and a few dozen tag
values. Real exports differ: AWS splits a month into many parquet files, and resources
carry many tags whose values are skewed (a few teams own most lines) and high-cardinality
(owners, build ids, ``aws:createdBy`` ARNs). ``reshape`` rewrites a generated bill that
way, keeping every cost column as it is (so totals do not change):

- each month is split into ``files_per_month`` files (13 months x 5 = 65, plus the
  generator's own: the issue's 67-file bill had that count);
- ``resource_tags`` gets 8 keys per tagged line: ``user_team`` drawn from 60 teams with a
  Zipf skew (s = 1.3: the top team has ~40 % of lines), ``user_service`` kept,
  ``user_owner`` from 5,000 values (Zipf), ``user_cost_center`` from 200,
  ``user_build`` from 200,000 (uniform: nearly one per line group), and three constant-ish
  keys (``user_managed_by``, ``aws_createdBy``, ``user_environment``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TEAMS, OWNERS, CENTRES, BUILDS = 60, 5_000, 200, 200_000


def _zipf(rng: Any, size: int, n: int, s: float) -> Any:
    import numpy as np

    ranks = np.arange(1, n + 1, dtype=np.float64)
    weights = ranks**-s
    return rng.choice(n, size=size, p=weights / weights.sum())


def _tags(table: Any, rng: Any) -> Any:
    """A new resource_tags column: 8 keys per tagged line, skewed and high-cardinality."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    old = table.column("resource_tags").combine_chunks()
    rows = len(old)
    offsets_old = np.asarray(old.offsets)
    tagged = (np.diff(offsets_old) > 0) & np.asarray(old.is_valid())
    service = pc.fill_null(pc.map_lookup(old, pa.scalar("user_service"), "first"), "")
    team = np.array([f"team-{i:02d}" for i in range(TEAMS)])[_zipf(rng, rows, TEAMS, 1.3)]
    owner = np.array([f"owner-{i:04d}@acme.example" for i in range(OWNERS)])[
        _zipf(rng, rows, OWNERS, 1.1)
    ]
    centre = np.array([f"CC-{i:03d}" for i in range(CENTRES)])[rng.integers(0, CENTRES, rows)]
    build = np.char.add("build-", rng.integers(0, BUILDS, rows).astype(str))
    creator = np.where(rng.random(rows) < 0.9, "arn:aws:iam::111111111111:role/terraform",
                       "arn:aws:iam::111111111111:user/alice")
    keys = ["user_team", "user_service", "user_owner", "user_cost_center", "user_build",
            "user_managed_by", "aws_createdBy", "user_environment"]
    values = [team, np.asarray(service.to_numpy(zero_copy_only=False)), owner, centre, build,
              np.full(rows, "terraform"), creator, np.full(rows, "shared")]
    per_row = len(keys)
    counts = np.where(tagged, per_row, 0)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    n = int(tagged.sum())
    columns = [pa.chunked_array([pa.array(v[tagged], pa.string())]).combine_chunks()
               for v in values]
    order = (np.arange(n)[:, None] + np.arange(per_row)[None, :] * n).reshape(-1)
    flat_values = pc.take(pa.concat_arrays(columns), pa.array(order))
    flat_keys = pa.array(np.tile(np.array(keys), n), pa.string())
    def whole(array: Any) -> Any:
        return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array

    return pa.MapArray.from_arrays(pa.array(offsets), whole(flat_keys), whole(flat_values))


def reshape(source: Path, target: Path, files_per_month: int = 5, seed: int = 7) -> int:
    """Rewrite the bill under ``source`` into ``target``; returns the number of files."""
    import numpy as np
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    written = 0
    for path in sorted(source.rglob("*.parquet")):
        table = pq.read_table(path)
        table = table.set_column(
            table.schema.get_field_index("resource_tags"), "resource_tags", _tags(table, rng)
        )
        folder = target / path.parent.relative_to(source)
        folder.mkdir(parents=True, exist_ok=True)
        size = -(-table.num_rows // files_per_month)
        for part in range(files_per_month):
            piece = table.slice(part * size, size)
            if piece.num_rows:
                out = folder / f"{path.stem}-part{part:02d}.snappy.parquet"
                pq.write_table(piece, out, compression="snappy", row_group_size=131_072)
                written += 1
    return written
