"""engine.core.files: the one atomic writer (temp file + fsync + rename)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine.core import files


def test_text_replaces_whole_file_and_keeps_line_endings(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old contents that are longer than the new ones\n")
    files.write_text_atomic(target, "a,b\r\n1,2\r\n")
    assert target.read_bytes() == b"a,b\r\n1,2\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]  # no temp file left


def test_json_round_trips_and_creates_the_folder(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "alerts.json"
    files.write_json_atomic(target, {"rules": [1, 2]})
    assert json.loads(target.read_text()) == {"rules": [1, 2]}


def test_fsyncs_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        order.append("fsync")
        real_fsync(fd)

    def replace(src: str, dst: str) -> None:
        order.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    files.write_bytes_atomic(tmp_path / "x", b"data")
    assert order == ["fsync", "replace"]


def test_failed_write_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("old")

    def broken(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError, match="No space"):
        files.write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
