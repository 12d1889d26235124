"""Generated sounds as a kit: files named by the user's pattern, one per key, levels matched in the mapping."""

from __future__ import annotations

import json
import math
import zipfile

import pytest
import soundfile as sf
import torch

from distill.errors import DistillError
from distill.library.kits import file_stem, note_name, plan_kit, sfz_text, write_kit


def _sound(folder, seed: int, level: float) -> dict:
    path = folder / f"kit-s{seed}.wav"
    t = torch.arange(24000) / 48000
    sf.write(path, (level * torch.sin(2 * math.pi * 220 * t)).numpy(), 48000)
    record = {"path": str(path), "seed": seed, "model": "kit", "vocoder": "griffinlim", "sliders": {"decay": 1.5}}
    path.with_suffix(".json").write_text(json.dumps(record))
    return record


def test_sounds_go_one_per_key_named_by_the_pattern_with_levels_matched(tmp_path):
    records = [_sound(tmp_path, seed, level) for seed, level in ((1, 0.5), (2, 0.25), (3, 0.125))]
    sounds = plan_kit(records, "{model}-{note}-s{seed}-{sliders}", 60)
    assert [s.key for s in sounds] == [60, 61, 62]
    assert [s.name for s in sounds] == [
        "kit-C4-s1-decay+1.50.wav",
        "kit-C#4-s2-decay+1.50.wav",
        "kit-D4-s3-decay+1.50.wav",
    ]
    assert [s.volume_db for s in sounds] == pytest.approx([-6.0, 0.0, 6.0], abs=0.1)  # all at the median's level
    assert "lokey=61 hikey=61 pitch_keycenter=61" in sfz_text("kit", sounds)


def test_the_zip_holds_the_files_as_they_are_with_their_sidecars(tmp_path):
    records = [_sound(tmp_path, seed, 0.5) for seed in (1, 2)]
    kit = zipfile.ZipFile(write_kit(records, tmp_path / "out" / "kit.zip", "kit"))
    assert kit.read("samples/kit-C2-s1.wav") == (tmp_path / "kit-s1.wav").read_bytes()
    assert json.loads(kit.read("samples/kit-C2-s1.json"))["kit"] == {
        "name": "kit",
        "key": 36,
        "note": "C2",
        "volume_db": 0.0,
    }
    assert {"kit.sfz", "kit.dspreset"} <= set(kit.namelist())
    files = zipfile.ZipFile(write_kit(records, tmp_path / "files.zip", "kit", instrument=False))
    assert not [n for n in files.namelist() if not n.startswith("samples/")]


def test_a_bad_pattern_or_too_many_keys_is_one_sentence(tmp_path):
    records = [_sound(tmp_path, 1, 0.5)]
    with pytest.raises(DistillError, match=r"can use only \{model\}"):
        plan_kit(records, "{name}", 36)
    with pytest.raises(DistillError, match="do not fit on MIDI keys"):
        plan_kit(records * 3, "{seed}", 126)
    assert file_stem("../{model}/x", records[0], 0, 36) == "kit-x" and note_name(60) == "C4"
