"""Generation: exact length, bit-identical with a seed, no seam at chunk joints."""

from __future__ import annotations

import pytest
import torch

from distill.controls.analysis import LatentAnalysis
from distill.errors import DistillError
from distill.inference.chunking import chunk_count
from distill.inference.pipeline import generate
from distill.models.format import load_model
from distill.vocoders import select_vocoder


@pytest.fixture(scope="module")
def model(tiny_model_path):
    return load_model(tiny_model_path)


@pytest.fixture(scope="module")
def vocoder(model):
    return select_vocoder("griffinlim", model, torch.device("cpu"))


def test_output_has_exactly_the_requested_length(model, vocoder):
    wav = generate(model, duration=1.234, seed=0, sliders={}, vocoder=vocoder)
    assert wav.shape == (round(1.234 * 48000),) and wav.dtype == torch.float32
    assert torch.isfinite(wav).all() and wav.abs().max() > 1e-4


def test_same_seed_and_settings_are_bit_identical(model, vocoder):
    first = generate(model, duration=1.0, seed=7, sliders={0: 1.0}, vocoder=vocoder)
    second = generate(model, duration=1.0, seed=7, sliders={0: 1.0}, vocoder=vocoder)
    other = generate(model, duration=1.0, seed=8, sliders={0: 1.0}, vocoder=vocoder)
    assert torch.equal(first, second)
    assert not torch.equal(first, other)


def test_chunk_joints_have_no_jump_beyond_the_signals_own_variation(model, vocoder):
    hop = model.spectrogram.hop_length
    segment = model.vae_config["segment_frames"]
    duration = 3.0
    frames = model.spectrogram.num_frames(round(duration * 48000))
    assert chunk_count(frames, segment, segment // 2) >= 4
    wav = generate(model, duration=duration, seed=3, sliders={}, vocoder=vocoder)
    steps = wav.diff().abs()
    typical = torch.quantile(steps, 0.999)
    joints = [k * (segment // 2) * hop for k in range(1, frames // (segment // 2))]
    for joint in joints:
        assert steps[joint - 256 : joint + 256].max() <= typical * 1.5, joint


def test_slider_outside_its_range_is_one_sentence(model):
    analysis = LatentAnalysis.from_dict(model.latent_analysis)
    with pytest.raises(DistillError, match=r"Slider 0 .* takes values from"):
        analysis.to_latent({0: 1e6})
    with pytest.raises(DistillError, match="Slider 99 does not exist"):
        analysis.to_latent({99: 0.0})


def test_sliders_change_the_sound(model, vocoder):
    low = generate(model, duration=0.5, seed=1, sliders={0: -2.0}, vocoder=vocoder)
    high = generate(model, duration=0.5, seed=1, sliders={0: 2.0}, vocoder=vocoder)
    assert (low - high).abs().mean() > 1e-4
