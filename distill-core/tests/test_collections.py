"""New collections from uploaded files, and objective comparison of a rendering with its original."""

from __future__ import annotations

import math

import pytest
import torch

from distill.audio.io import write_audio
from distill.audio.metrics import compare_to_original
from distill.data.collections import import_files
from distill.data.validation import load_collection
from distill.errors import DistillError


def test_upload_becomes_a_collection_of_its_audio_files(tmp_path, distill_home):
    tone = torch.sin(torch.arange(4800) / 10) * 0.5
    files = [write_audio(tmp_path / "a.wav", tone, 48000), write_audio(tmp_path / "b.flac", tone, 44100)]
    (tmp_path / "notes.txt").write_text("not audio")
    folder = import_files([*files, tmp_path / "notes.txt"], "uploaded")
    assert folder == distill_home / "collections" / "uploaded"
    assert sorted(p.name for p in folder.iterdir()) == ["a.wav", "b.flac"]
    assert load_collection(folder, 48000).summary()["source_rates"] == {"44100": 1, "48000": 1}
    with pytest.raises(DistillError, match="already exists"):
        import_files(files, "uploaded")
    with pytest.raises(DistillError, match="None of the 1 files is audio"):
        import_files([tmp_path / "notes.txt"], "other")
    assert not (distill_home / "collections" / "other").exists()


def test_a_rendering_identical_to_its_original_has_no_distance():
    wav = torch.randn(48000, generator=torch.Generator().manual_seed(0)) * 0.1
    same = compare_to_original(wav, wav.clone(), 48000)
    assert same["multires_stft_distance"] == 0 and same["snr_db"] > 100
    noisy = compare_to_original(wav, wav + 0.1 * torch.randn(48000, generator=torch.Generator().manual_seed(1)), 48000)
    assert noisy["multires_stft_distance"] > 0.1 and math.isclose(noisy["snr_db"], 0, abs_tol=0.5)
