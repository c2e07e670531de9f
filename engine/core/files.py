"""The one atomic file writer: readers see the old file or the new one, never half of either.

Write to a temporary file in the same folder, flush and fsync it, then `os.replace` it over
the target (atomic on POSIX and Windows within one file system). Without the fsync a power
loss after the rename can leave an empty file on ext4/xfs, so it is not optional. Used for
alert rules, exports and anything else the app writes outside QSettings.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

__all__ = ["write_bytes_atomic", "write_json_atomic", "write_text_atomic"]


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes) -> None:
    """Replace `path` with `data` atomically (temp file, fsync, rename); raises OSError."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: str | os.PathLike[str], text: str) -> None:
    """`text` as UTF-8, line endings kept exactly as given (no newline translation)."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike[str], data: object) -> None:
    """`data` as indented JSON (one space, as the alert file has always been written)."""
    write_text_atomic(path, json.dumps(data, indent=1))
