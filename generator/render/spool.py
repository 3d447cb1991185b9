"""Rendered files kept on disk until they are compared or written, not in memory.

A large tenant's client is a lot of text (146 MB at 100 modules x 1000 fields); held in
memory until the write, it was the largest part of the generator's peak. The spool is an
unlinked temporary file: the operating system removes it however the run ends, so nothing is
left behind, and the output folder is still only touched by the write stage.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from types import TracebackType

from ..errors import GenerationError


class Spool(MutableMapping[str, bytes]):
    """Path -> file content, the contents in one unlinked temporary file; paths iterate in
    sorted order (the order files are compared, hashed and written in). Safe to fill from
    several threads."""

    def __init__(self) -> None:
        with _as_generation_error():
            self._file = tempfile.TemporaryFile(prefix="minicrm-codegen-")
        self._where: dict[str, tuple[int, int]] = {}
        self._end = 0
        self._lock = threading.Lock()

    def __setitem__(self, path: str, data: bytes) -> None:
        with self._lock:
            offset, self._end = self._end, self._end + len(data)
            self._where[path] = (offset, len(data))
        written = 0
        with _as_generation_error():
            while written < len(data):
                written += os.pwrite(
                    self._file.fileno(), memoryview(data)[written:], offset + written
                )

    def __getitem__(self, path: str) -> bytes:
        offset, size = self._where[path]
        data = os.pread(self._file.fileno(), size, offset)
        if len(data) != size:
            raise OSError(f"the temporary file holding {path} was cut short")
        return data

    def __delitem__(self, path: str) -> None:
        del self._where[path]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._where))

    def __len__(self) -> int:
        return len(self._where)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


@contextmanager
def _as_generation_error() -> Iterator[None]:
    """A temporary folder that is full or unusable is the user's to fix: one line."""
    try:
        yield
    except OSError as exc:
        raise GenerationError(
            f"cannot keep the rendered files in a temporary file ({exc.strerror or exc}); "
            "nothing was written; free space in the temporary folder or set TMPDIR to "
            "another folder"
        ) from None
