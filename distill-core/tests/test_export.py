"""Every export format round-trips: duration, rate, channels and embedded tags read back."""

from __future__ import annotations

import math

import pytest
import soundfile as sf
import torch

from distill.audio.export import ExportSettings, export_audio, peak_gain, read_tags
from distill.errors import DistillError
from distill.inference.outputs import write_output

TAGS = {"model": "kit", "seed": 7, "sliders": {"brightness": 1.5}, "vocoder": "griffinlim", "software": "distill 0.2"}


def _tone(seconds: float = 1.0, rate: int = 48000) -> torch.Tensor:
    t = torch.arange(int(seconds * rate)) / rate
    return 0.5 * torch.sin(2 * math.pi * 440 * t)


@pytest.mark.parametrize(
    ("fmt", "bits", "subtype"),
    [
        ("wav", 16, "PCM_16"),
        ("wav", 24, "PCM_24"),
        ("wav", 32, "FLOAT"),
        ("flac", 24, "PCM_24"),
        ("ogg", 24, "VORBIS"),
        ("mp3", 24, "MPEG_LAYER_III"),
    ],
)
def test_format_round_trips_with_tags(tmp_path, fmt, bits, subtype):
    path = tmp_path / f"out.{fmt}"
    export_audio(_tone(), 48000, path, ExportSettings(fmt, bits, 48000), TAGS)
    info = sf.info(path)
    assert (info.samplerate, info.channels, info.subtype) == (48000, 1, subtype)
    assert abs(info.frames - 48000) <= (0 if fmt in ("wav", "flac") else 1152)
    tags = read_tags(path)
    assert tags["seed"] == 7 and tags["sliders"] == {"brightness": 1.5} and tags["vocoder"] == "griffinlim"
    assert tags["model"] == "kit"


@pytest.mark.parametrize("rate", [44100, 96000])
def test_output_rate_is_resampled(tmp_path, rate):
    path = tmp_path / "r.wav"
    export_audio(_tone(), 48000, path, ExportSettings("wav", 24, rate), TAGS)
    assert sf.info(path).samplerate == rate and sf.info(path).frames == rate


def test_peak_ceiling_is_met_without_clipping(tmp_path):
    loud = 3.0 * _tone()
    path = tmp_path / "c.wav"
    export_audio(loud, 48000, path, ExportSettings("wav", 32, 48000, -1.0), TAGS)
    data, _ = sf.read(path)
    assert abs(20 * math.log10(abs(data).max()) - (-1.0)) < 0.01
    assert peak_gain(1.5, None) * 1.5 == pytest.approx(1.0) and peak_gain(0.5, None) == 1.0


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (ExportSettings("aac"), "Unknown format 'aac'"),
        (ExportSettings("wav", 20), "bit depth"),
        (ExportSettings("wav", 24, 22050), "not offered"),
        (ExportSettings("flac", 32), "bit depth"),
    ],
)
def test_bad_settings_are_one_sentence(settings, message):
    with pytest.raises(DistillError, match=message):
        settings.validate()


def test_failed_encode_leaves_neither_file_nor_temporary(tmp_path, monkeypatch):
    export_audio(_tone(), 48000, tmp_path / "x.wav", ExportSettings(), TAGS)
    previous = (tmp_path / "x.wav").read_bytes()

    def broken_write(self, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("soundfile.SoundFile.write", broken_write)
    with pytest.raises(DistillError, match=r"Cannot write .*No space left on device"):
        export_audio(_tone(), 48000, tmp_path / "x.wav", ExportSettings(), TAGS)
    assert [p.name for p in tmp_path.iterdir()] == ["x.wav"]
    assert (tmp_path / "x.wav").read_bytes() == previous


def test_normalisation_records_the_level_it_found_and_the_gain_it_applied(tmp_path):
    document, _ = write_output(0.2 * _tone(), 48000, tmp_path / "tone.wav", ExportSettings(), dict(TAGS))
    quality = document["quality"]
    assert quality["peak_before_normalisation_dbfs"] == pytest.approx(-20.0, abs=0.05)
    assert quality["gain_db"] == pytest.approx(19.0, abs=0.05)
    assert quality["near_silent"] is False and quality["peak_dbfs"] == pytest.approx(-1.0, abs=0.05)


def test_a_near_silent_render_is_flagged_and_not_lifted_to_the_ceiling(tmp_path, caplog):
    document, _ = write_output(1e-4 * _tone(), 48000, tmp_path / "hush.wav", ExportSettings(), dict(TAGS))
    quality = document["quality"]
    assert quality["near_silent"] is True and quality["gain_db"] == 0.0
    written, _ = sf.read(str(tmp_path / "hush.wav"), dtype="float32")
    assert 20 * math.log10(abs(written).max()) == pytest.approx(-86.0, abs=0.5)
    assert "hush.wav is near-silent" in caplog.text


def test_a_render_leaning_to_one_side_has_its_dc_offset_reported_and_removed(tmp_path):
    leaning = 0.6 * _tone() - 0.05  # the HiFi-GAN render of issue 26: a mean of -0.05, peaks -0.65 / +0.55
    document, _ = write_output(leaning, 48000, tmp_path / "lean.wav", ExportSettings("wav", 32), dict(TAGS))
    quality = document["quality"]
    assert quality["dc_offset_removed"] == pytest.approx(-0.05, abs=1e-3)
    written, _ = sf.read(str(tmp_path / "lean.wav"), dtype="float32")
    settled = written[4800:]  # past the blocker's first 0.1 s
    assert abs(settled.mean()) < 1e-3 and abs(quality["dc_offset"]) < 0.01  # the onset's step settles in 0.1 s
    assert settled.max() == pytest.approx(-settled.min(), rel=0.02)  # symmetric again: headroom back


def test_a_centred_render_is_written_untouched_by_the_dc_blocker(tmp_path):
    document, _ = write_output(0.5 * _tone(), 48000, tmp_path / "tone.wav", ExportSettings("wav", 32), dict(TAGS))
    assert document["quality"]["dc_offset_removed"] == 0.0
