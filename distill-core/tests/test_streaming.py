"""Renders streamed to disk piece by piece: every stage gives the same samples however the
signal is cut, and a streamed `generate` writes the file the whole-signal path would."""

from __future__ import annotations

import json
import math

import pytest
import soundfile as sf
import torch
import torchaudio.functional as AF

from distill.audio.export import ExportSettings
from distill.audio.overview import Overview, overview
from distill.audio.quality import LevelMeter, quality_report
from distill.audio.resampling import Resampler, resample
from distill.audio.spatial import Placement, decorrelation_fir, render_spatial
from distill.data.segmenting import TEXTURE
from distill.host.selector import select_vocoder
from distill.inference.outputs import Spatial, generate_files
from distill.inference.pipeline import generate_stream
from distill.models.format import load_model


def _cuts(signal: torch.Tensor, seed: int = 1, longest: int = 40_000) -> list[torch.Tensor]:
    """`signal` cut along its last axis into pieces of random lengths (some of one sample)."""
    g = torch.Generator().manual_seed(seed)
    pieces, start = [], 0
    while start < signal.shape[-1]:
        size = int(torch.randint(1, longest, (1,), generator=g)) if start % 3 else 1
        pieces.append(signal[..., start : start + size])
        start += size
    return pieces


def _streamed(stage: Resampler | Placement, pieces: list[torch.Tensor]) -> torch.Tensor:
    """Everything `stage` gives for `pieces` fed in order, then finished."""
    return torch.cat([*(out for piece in pieces for out in stage.process(piece)), *stage.finish()], dim=-1)


def _signal(samples: int = 150_001) -> torch.Tensor:
    t = torch.arange(samples) / 48000
    return 0.4 * torch.sin(2 * math.pi * 220 * t) * torch.exp(-t) + 0.05 * torch.randn(samples)


@pytest.mark.parametrize(("orig", "new"), [(48000, 44100), (44100, 48000), (48000, 96000)])
def test_resampling_in_pieces_gives_torchaudios_one_pass_samples(orig, new):
    wav = torch.stack([_signal(), _signal()])
    resampler = Resampler(orig, new)
    streamed = _streamed(resampler, _cuts(wav))
    gcd = math.gcd(orig, new)
    one_pass = AF.resample(
        wav,
        orig // gcd,
        new // gcd,
        lowpass_filter_width=64,
        rolloff=0.9475937167399596,
        resampling_method="sinc_interp_kaiser",
        beta=14.769656459379492,
    )
    assert torch.equal(streamed, resample(wav, orig, new))
    assert streamed.shape == one_pass.shape and (streamed - one_pass).abs().max() < 1e-6


@pytest.mark.parametrize("mode", ["stereo", "binaural"])
def test_placement_in_pieces_matches_the_whole_signal_and_a_direct_convolution(mode):
    mono = _signal()
    placement = Placement(48000, mode, 0.8, 40.0, None, 3)
    streamed = _streamed(placement, _cuts(mono))
    whole = render_spatial(mono, 48000, mode, 0.8, 40.0, None, 3)
    assert torch.equal(streamed, whole) and whole.shape == (2, mono.numel())
    if mode == "stereo":
        side = AF.fftconvolve(mono, decorrelation_fir(3))[: mono.numel()] * 0.4
        direct = torch.stack([mono + side, mono - side]) / 1.4
        assert (whole - direct).abs().max() < 1e-5


def test_the_level_meter_and_overview_do_not_depend_on_how_the_signal_is_cut():
    wav = torch.stack([_signal(480_000), 0.5 * _signal(480_000)])
    meter, builder = LevelMeter(48000, 2), Overview(wav.shape[-1])
    for piece in _cuts(wav):
        meter.add(piece)
        builder.add(piece)
    assert meter.report() == quality_report(wav, 48000)
    assert builder.values() == overview(wav)
    # a 1 kHz sine at full scale in one channel reads -3.01 LUFS in BS.1770 (within its filter's 0.05 dB at 1 kHz)
    sine = torch.sin(2 * math.pi * 1000 * torch.arange(48000 * 3) / 48000)
    assert quality_report(sine, 48000)["loudness_lufs"] == pytest.approx(-3.01, abs=0.06)


@pytest.fixture(scope="module")
def model(tiny_model_path):
    return load_model(tiny_model_path)


def test_a_streamed_generate_writes_the_file_the_whole_signal_path_would(model, tmp_path, monkeypatch):
    monkeypatch.setenv("DISTILL_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("distill_vocoder_griffinlim.vocoder.CHUNK_FRAMES", 64)  # five pieces in 3 s
    vocoder = select_vocoder("griffinlim", model, torch.device("cpu"))
    pieces = list(generate_stream(model, duration=3.0, seed=4, sliders={}, vocoder=vocoder, mode=TEXTURE))
    assert len(pieces) >= 5
    settings = ExportSettings("wav", 32, 44100)
    [document] = generate_files(
        model,
        1,
        3.0,
        "griffinlim",
        4,
        {},
        settings,
        tmp_path,
        torch.device("cpu"),
        spatial=Spatial("stereo", 0.7),
        mode=TEXTURE,
    )
    written, rate = sf.read(document["path"], dtype="float32", always_2d=True)
    mono = torch.cat(pieces)
    placed = resample(render_spatial(mono, 48000, "stereo", 0.7, 30.0, None, 4), 48000, 44100)
    expected = placed * (10 ** (-1 / 20) / placed.abs().max())
    assert rate == 44100 and written.shape == (round(3.0 * 44100), 2)
    assert (torch.from_numpy(written).T - expected).abs().max() < 1e-6
    report = quality_report(expected, 44100)
    assert {k: document["quality"][k] for k in report} == report
    sidecar = json.loads((tmp_path / document["path"]).with_suffix(".json").read_text())
    assert sidecar["quality"]["peak_dbfs"] == pytest.approx(-1.0, abs=0.01) and sidecar["duration"] == 3.0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no scratch file left
