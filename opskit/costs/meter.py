"""What a report cost to build: Cost Explorer requests, Athena bytes scanned, S3 bytes read.

Cost Explorer bills $0.01 per request (every page); Athena $5 per TB scanned with a 10 MB
minimum per query. Front ends print ``lines()`` on stderr so nobody is surprised by a bill.
"""

from __future__ import annotations

from dataclasses import dataclass

CE_PRICE = 0.01
ATHENA_PRICE_PER_TB = 5.0
ATHENA_MINIMUM_BYTES = 10 * 1024 * 1024


@dataclass
class Meter:
    """Counters for one report build."""

    ce_requests: int = 0
    ce_cached: int = 0
    athena_queries: int = 0
    athena_cached: int = 0
    athena_scanned: int = 0
    athena_billed: int = 0
    cur_files: int = 0
    cur_bytes: int = 0

    def ce(self, requests: int = 0, cached: int = 0) -> None:
        self.ce_requests += requests
        self.ce_cached += cached

    def athena(self, scanned: int) -> None:
        self.athena_queries += 1
        self.athena_scanned += scanned
        self.athena_billed += max(scanned, ATHENA_MINIMUM_BYTES)

    @property
    def ce_price(self) -> float:
        return self.ce_requests * CE_PRICE

    @property
    def athena_price(self) -> float:
        return self.athena_billed / 1024**4 * ATHENA_PRICE_PER_TB

    def lines(self) -> list[str]:
        """One line per backend that was used."""
        out = []
        if self.ce_requests or self.ce_cached:
            out.append(
                f"Cost Explorer: {self.ce_requests} requests (${self.ce_price:.2f} at $0.01 each), "
                f"{self.ce_cached} answered from cache"
            )
        if self.athena_queries or self.athena_cached:
            out.append(
                f"Athena: {self.athena_queries} queries scanned {_size(self.athena_scanned)} "
                f"(${self.athena_price:.4f} at $5/TB, 10 MB minimum), "
                f"{self.athena_cached} from cache"
            )
        if self.cur_files:
            read = f", {_size(self.cur_bytes)} fetched from S3" if self.cur_bytes else ""
            out.append(f"CUR: {self.cur_files} parquet files{read}")
        return out


def _size(nbytes: int) -> str:
    size = float(nbytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}" if unit != "B" else f"{int(size)} B"
        size /= 1024
    return f"{size:.1f} GB"
