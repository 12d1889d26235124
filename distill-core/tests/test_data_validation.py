"""Every file is checked; bad ones are skipped with a reason, never fatal."""

from __future__ import annotations

import errno
import logging
import math
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from distill.data import discovery
from distill.data.validation import load_collection
from distill.errors import DistillError


def _tone(seconds: float, rate: int, channels: int = 1) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.3 * np.sin(2 * math.pi * 220 * t)
    return np.stack([mono] * channels, axis=1).astype("float32")


def test_mixed_folder_keeps_good_files_and_names_each_skip(tmp_path, caplog):
    (tmp_path / "nested" / "deeper").mkdir(parents=True)
    sf.write(tmp_path / "good.wav", _tone(0.5, 48000), 48000)
    sf.write(tmp_path / "nested" / "stereo44k.flac", _tone(0.5, 44100, channels=2), 44100)
    sf.write(tmp_path / "nested" / "deeper" / "vorbis.ogg", _tone(0.5, 32000), 32000)
    sf.write(tmp_path / "silent.wav", np.zeros((24000, 1), "float32"), 48000)
    sf.write(tmp_path / "short.wav", _tone(0.01, 48000), 48000)
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1), "float32"), 48000)
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00garbage")
    (tmp_path / "notes.txt").write_text("not audio")
    with caplog.at_level(logging.WARNING, logger="distill"):
        collection = load_collection(tmp_path, 48000)
    assert sorted(p.name for p in collection.files) == ["good.wav", "stereo44k.flac", "vorbis.ogg"]
    reasons = {s.path.name: s.reason for s in collection.skipped}
    assert reasons["silent.wav"].startswith("silent")
    assert reasons["short.wav"].startswith("too short")
    assert reasons["empty.wav"].startswith("empty")
    assert reasons["corrupt.wav"].startswith("unreadable")
    assert all(w.dim() == 1 and abs(w.numel() - 24000) <= 1 for w in collection.waveforms)
    assert caplog.text.count("Skipped") == 4
    summary = collection.summary()
    assert summary["num_files"] == 3 and len(summary["skipped"]) == 4
    assert "nested/stereo44k.flac" in summary["files"]


def test_folder_without_usable_audio_is_one_sentence(tmp_path):
    sf.write(tmp_path / "silent.wav", np.zeros((24000, 1), "float32"), 48000)
    with pytest.raises(DistillError, match="No usable audio files"):
        load_collection(tmp_path, 48000)


def test_missing_folder_is_one_sentence(tmp_path):
    with pytest.raises(DistillError, match="Data folder not found"):
        load_collection(tmp_path / "nope", 48000)


def _with_rate_in_header(path, rate: int) -> None:
    """A WAV whose header claims `rate` (soundfile refuses to write absurd rates itself)."""
    data = bytearray(path.read_bytes())
    channels, bits = int.from_bytes(data[22:24], "little"), int.from_bytes(data[34:36], "little")
    data[24:28] = rate.to_bytes(4, "little")
    data[28:32] = (rate * channels * bits // 8 % 2**32).to_bytes(4, "little")
    path.write_bytes(bytes(data))


def test_odd_rates_are_used_and_an_absurd_one_is_skipped_without_stopping_the_check(tmp_path):
    for name, rate in (("odd.wav", 44_101), ("prime.wav", 47_999), ("absurd.wav", 48_000), ("slow.wav", 48_000)):
        sf.write(tmp_path / name, _tone(0.5, rate), rate)
    _with_rate_in_header(tmp_path / "absurd.wav", 2_147_483_647)
    _with_rate_in_header(tmp_path / "slow.wav", 500)
    collection = load_collection(tmp_path, 48000)
    assert sorted(p.name for p in collection.files) == ["odd.wav", "prime.wav"]
    assert all(abs(w.numel() - 24000) <= 1 for w in collection.waveforms)
    reasons = {s.path.name: s.reason for s in collection.skipped}
    assert "sample rate of 2,147,483,647 Hz is outside the 1,000 to 768,000 Hz" in reasons["absurd.wav"]
    assert "sample rate of 500 Hz is outside" in reasons["slow.wav"]


def test_pipes_link_loops_and_dangling_links_are_skipped_with_the_reason_never_opened(tmp_path):
    sf.write(tmp_path / "good.wav", _tone(0.5, 48000), 48000)
    os.mkfifo(tmp_path / "pipe.wav")  # opening it would block until someone writes to it
    (tmp_path / "loop.wav").symlink_to(tmp_path / "loop.wav")
    (tmp_path / "gone.flac").symlink_to(tmp_path / "nowhere.flac")
    (tmp_path / "kicks").mkdir()
    (tmp_path / "kicks" / "back").symlink_to(tmp_path)  # a folder link round to where the search began
    collection = load_collection(tmp_path, 48000)
    assert [p.name for p in collection.files] == ["good.wav"]
    reasons = {s.path.name: s.reason for s in collection.skipped}
    assert reasons == {
        "pipe.wav": "a named pipe (FIFO), not a file",
        "loop.wav": "a symbolic link loop",
        "gone.flac": "a symbolic link to nothing",
    }


def test_an_unreadable_subfolder_is_skipped_with_the_reason(tmp_path, monkeypatch):
    sf.write(tmp_path / "good.wav", _tone(0.5, 48000), 48000)
    (tmp_path / "private").mkdir()
    sf.write(tmp_path / "private" / "hidden.wav", _tone(0.5, 48000), 48000)
    scandir = os.scandir

    def refusing(path):
        if Path(path).name == "private":
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    collection = load_collection(tmp_path, 48000)
    assert [p.name for p in collection.files] == ["good.wav"]
    assert [(s.path.name, s.reason) for s in collection.skipped] == [
        ("private", "folder not readable (Permission denied)")
    ]
    with pytest.raises(DistillError, match=r"^Cannot read the folder .*private: Permission denied\.$"):
        load_collection(tmp_path / "private", 48000)


def test_a_tree_far_bigger_than_a_collection_is_one_sentence(tmp_path, monkeypatch):
    monkeypatch.setattr(discovery, "MAX_ENTRIES", 5)
    for index in range(6):
        (tmp_path / f"{index}.txt").write_text("")
    with pytest.raises(DistillError, match="holds more than 5 files and folders, far more than a collection"):
        load_collection(tmp_path, 48000)


def _damaged(path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    else:
        third = len(data) // 3
        path.write_bytes(data[:third] + np.random.default_rng(0).bytes(2000) + data[third + 2000 :])


@pytest.mark.parametrize(("name", "how"), [("half.flac", "truncated"), ("mid.flac", "garbage"), ("mid.mp3", "garbage")])
def test_a_damaged_file_decodes_up_to_the_damage_and_says_how_much_was_used(tmp_path, name, how, caplog):
    sf.write(tmp_path / name, _tone(3.0, 48000), 48000)
    _damaged(tmp_path / name, how)
    with caplog.at_level(logging.WARNING, logger="distill"):
        collection = load_collection(tmp_path, 48000)
    used = collection.waveforms[0].numel() / 48000
    assert 0.5 < used < 2.9, used
    [partial] = collection.partial
    assert partial.path.name == name
    assert partial.reason == f"damaged after {used:.2f} s of 3.00 s; the first {used:.2f} s are used"
    assert f"{name} is damaged after {used:.2f} s" in caplog.text
