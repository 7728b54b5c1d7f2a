"""Where the CUR 2.0 parquet files are: a local folder or an ``s3://`` prefix.

Files are found by their ``BILLING_PERIOD=YYYY-MM`` folder, so only the partitions a report
needs are opened. For S3 the boto3 client (from ``Accounts``) is wrapped as a pyarrow file
system that reads by byte range: parquet then fetches only the footer and the column
chunks a query uses, never whole files. Bytes fetched are counted for the report.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.fs as pafs

from opskit.aws import s3
from opskit.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from types_boto3_s3 import S3Client

_PARTITION = re.compile(r"(?:^|/)BILLING_PERIOD=(\d{4}-\d{2})/[^/]+\.parquet$", re.IGNORECASE)


@dataclass(frozen=True)
class CurFile:
    """One parquet file of the export: its path for the file system, size and period."""

    path: str
    size: int
    period: str


class CurLocation:
    """A CUR 2.0 export, local or on S3, listed by billing period."""

    def __init__(self, cur_path: str, base_dir: Path, s3_client: Callable[[], S3Client]) -> None:
        self.cur_path = cur_path
        self.is_s3 = cur_path.startswith("s3://")
        self._client_factory = s3_client
        self._client: S3Client | None = None
        self.bytes_read = 0
        self._lock = threading.Lock()
        if self.is_s3:
            self.bucket, _, self.prefix = cur_path[len("s3://") :].partition("/")
            if not self.bucket:
                raise ConfigError(f"[costs].cur_path: no bucket in '{cur_path}'")
        else:
            path = Path(cur_path).expanduser()
            self.root = path if path.is_absolute() else (base_dir / path)

    def _s3(self) -> S3Client:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def files(self) -> dict[str, list[CurFile]]:
        """Every parquet file of the export, by billing period."""
        found: dict[str, list[CurFile]] = {}
        for path, size in self._walk():
            match = _PARTITION.search(path)
            if match:
                found.setdefault(match.group(1), []).append(CurFile(path, size, match.group(1)))
        return found

    def _walk(self) -> list[tuple[str, int]]:
        if not self.is_s3:
            if not self.root.is_dir():
                raise UsageError(f"CUR folder {self.root} does not exist ([costs].cur_path)")
            return [(p.as_posix(), p.stat().st_size) for p in sorted(self.root.rglob("*.parquet"))]
        where = f"listing CUR files at {self.cur_path}"
        listed = s3.list_objects(self._s3(), self.bucket, self.prefix, where)
        return sorted((f"{self.bucket}/{key}", size) for key, size in listed)

    def filesystem(self, sizes: dict[str, int]) -> Any:
        """A pyarrow file system that opens this export's files."""
        if not self.is_s3:
            return pafs.LocalFileSystem()
        return pafs.PyFileSystem(_S3Handler(self, sizes))

    def count(self, nbytes: int) -> None:
        with self._lock:
            self.bytes_read += nbytes


class _RangeReader(io.RawIOBase):
    """A seekable file over one S3 object, fetching only the byte ranges asked for."""

    def __init__(self, location: CurLocation, path: str, size: int) -> None:
        self.location, self.size, self.pos = location, size, 0
        self.bucket, _, self.key = path.partition("/")

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, size: int = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self.pos + size)
        if end <= self.pos:
            return b""
        where = f"reading s3://{self.bucket}/{self.key}"
        client = self.location._s3()
        data = s3.get_object(client, self.bucket, self.key, where, first=self.pos, last=end - 1)
        self.location.count(len(data))
        self.pos += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _S3Handler(pafs.FileSystemHandler):  # type: ignore[misc]
    """Read-only pyarrow file system handler over a boto3 S3 client."""

    def __init__(self, location: CurLocation, sizes: dict[str, int]) -> None:
        self.location, self.sizes = location, sizes

    def get_type_name(self) -> str:
        return "opskit-s3"

    def normalize_path(self, path: str) -> str:
        return path

    def get_file_info(self, paths: list[str]) -> list[Any]:
        return [pafs.FileInfo(p, pafs.FileType.File, size=self.sizes.get(p)) for p in paths]

    def get_file_info_selector(self, selector: Any) -> list[Any]:
        raise NotImplementedError("listing goes through CurLocation.files()")

    def open_input_file(self, path: str) -> Any:
        return pa.PythonFile(_RangeReader(self.location, path, self.sizes[path]), mode="r")

    def open_input_stream(self, path: str) -> Any:
        return self.open_input_file(path)

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("the CUR file system is read-only")

    create_dir = delete_dir = delete_dir_contents = delete_root_dir_contents = _read_only
    delete_file = move = copy_file = open_output_stream = open_append_stream = _read_only
