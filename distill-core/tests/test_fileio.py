"""Safe writes: atomic, invisible while in flight, tidy after a kill -9, clear on a full or read-only disk."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from distill.audio.io import write_audio
from distill.errors import DistillError
from distill.fileio import STALE_SECONDS, Busy, atomic_path, file_lock, visible_files, write_text_atomic

# Runs in a child process: write `target` atomically, but die by SIGKILL at the rename.
KILLED_AT_RENAME = """
import os, signal, sys
from pathlib import Path
from distill.fileio import write_text_atomic
os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)
write_text_atomic(Path(sys.argv[1]), "complete")
"""

# Runs in a child process: hold the lock on `target` until killed.
HOLDS_LOCK = """
import sys, time
from pathlib import Path
from distill.fileio import file_lock
with file_lock(Path(sys.argv[1]), "busy"):
    print("locked", flush=True)
    time.sleep(60)
"""


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


def test_a_temporary_in_flight_matches_no_listing(tmp_path):
    (tmp_path / "kit.distill").write_text("done")
    with atomic_path(tmp_path / "pads.distill") as tmp:
        tmp.write_text("half")
        assert tmp.name.startswith(".tmp-") and tmp.suffix == ".part"
        assert not tmp.name.endswith((".distill", ".json"))
        assert visible_files(tmp_path, ".distill") == [tmp_path / "kit.distill"]


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_new_files_follow_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        path = write_text_atomic(tmp_path / "entry.json", "{}")
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("tidied_by", ["listing", "writing"])
def test_a_killed_writers_temporary_is_never_read_and_is_removed_once_stale(tmp_path, tidied_by):
    target = tmp_path / "entry.json"
    child = subprocess.run([sys.executable, "-c", KILLED_AT_RENAME, str(target)], capture_output=True)
    assert child.returncode == -signal.SIGKILL
    (leftover,) = tmp_path.iterdir()
    assert leftover.read_text() == "complete" and not target.exists()
    assert visible_files(tmp_path, ".json") == []
    assert leftover.exists()  # too fresh to be sure its writer is gone for good
    aged = time.time() - STALE_SECONDS - 1
    os.utime(leftover, (aged, aged))
    if tidied_by == "listing":
        assert visible_files(tmp_path, ".json") == []
        assert list(tmp_path.iterdir()) == []
    else:
        write_text_atomic(tmp_path / "other.json", "{}")
        assert list(tmp_path.iterdir()) == [tmp_path / "other.json"]


def test_a_live_writers_temporary_is_kept_however_old(tmp_path):
    with atomic_path(tmp_path / "slow.json") as tmp:
        tmp.write_text("still writing")
        os.utime(tmp, (0, 0))
        visible_files(tmp_path, ".json")
        assert tmp.exists()


def test_full_disk_is_one_sentence_and_leaves_nothing(limited_folder):
    folder = limited_folder("full")
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(DistillError, match=r"Cannot write .*entry\.json: No space left on device\.$"):
        write_text_atomic(folder / "entry.json", "x" * 100_000)
    full = r"Cannot write .*model\.distill: No space left on device\.$"
    with pytest.raises(DistillError, match=full), atomic_path(folder / "model.distill") as tmp:
        torch.save({"weights": torch.zeros(100_000)}, tmp)
    with pytest.raises(DistillError, match=r"Cannot write .*take\.wav: No space left on device\.$"):
        write_audio(folder / "take.wav", torch.from_numpy(np.zeros(100_000, dtype=np.float32)), 48000)
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize(
    ("kind", "problem"), [("readonly", "Read-only file system"), ("immutable", "Operation not permitted")]
)
def test_read_only_and_immutable_folders_are_one_sentence(limited_folder, kind, problem):
    folder = limited_folder(kind)
    with pytest.raises(DistillError, match=rf"Cannot write .*entry\.json: {problem}\.$"):
        write_text_atomic(folder / "entry.json", "{}")


def test_a_folder_that_is_a_file_is_one_sentence(tmp_path):
    (tmp_path / "blocker").write_text("a file")
    with pytest.raises(DistillError, match="Not a directory"):
        write_text_atomic(tmp_path / "blocker" / "entry.json", "{}")


def test_a_lock_admits_one_process_and_dies_with_its_holder(tmp_path):
    target = tmp_path / "kit.distill"
    holder = subprocess.Popen([sys.executable, "-c", HOLDS_LOCK, str(target)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline().strip() == b"locked"
        with pytest.raises(Busy, match="busy"), file_lock(target, "busy", wait=0.2):
            pass
    finally:
        holder.kill()
        holder.wait()
    with file_lock(target, "busy", wait=0):  # the kernel released the killed holder's lock
        assert visible_files(tmp_path, ".lock") == []
    assert list(tmp_path.iterdir()) == [tmp_path / ".kit.distill.lock"] or list(tmp_path.iterdir()) == []
