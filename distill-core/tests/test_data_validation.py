"""Every file is checked; bad ones are skipped with a reason, never fatal."""

from __future__ import annotations

import logging
import math

import numpy as np
import pytest
import soundfile as sf

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
