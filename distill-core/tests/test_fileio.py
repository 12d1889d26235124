"""Atomic writes: a failed write leaves the previous file exactly as it was."""

from __future__ import annotations

import pytest

from distill.fileio import atomic_path, write_text_atomic


def test_successful_write_replaces_the_file(tmp_path):
    target = tmp_path / "out.json"
    write_text_atomic(target, "old")
    write_text_atomic(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_failed_write_leaves_the_previous_file_and_no_debris(tmp_path):
    target = tmp_path / "model.distill"
    target.write_text("previous")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["model.distill"]
