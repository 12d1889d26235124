"""Generation: one-shots that ring and stop, textures of exact length, bit-identical with a seed,
no seam at chunk joints."""

from __future__ import annotations

import pytest
import torch

from distill.controls.analysis import LatentAnalysis
from distill.controls.latents import anchor_tour
from distill.data.joining import chunk_count
from distill.data.segmenting import ONE_SHOT, TEXTURE, generation_mode
from distill.errors import DistillError
from distill.host.selector import select_vocoder
from distill.inference.pipeline import generate, sounding_frames
from distill.models.format import load_model


@pytest.fixture(scope="module")
def model(tiny_model_path):
    return load_model(tiny_model_path)


@pytest.fixture(scope="module")
def vocoder(model):
    return select_vocoder("griffinlim", model, torch.device("cpu"))


def test_a_texture_has_exactly_the_requested_length(model, vocoder):
    wav = generate(model, duration=1.234, seed=0, sliders={}, vocoder=vocoder, mode=TEXTURE)
    assert wav.shape == (round(1.234 * 48000),) and wav.dtype == torch.float32
    assert torch.isfinite(wav).all() and wav.abs().max() > 1e-4


def test_same_seed_and_settings_are_bit_identical(model, vocoder):
    for mode in (ONE_SHOT, TEXTURE):
        first = generate(model, duration=1.0, seed=7, sliders={0: 1.0}, vocoder=vocoder, mode=mode)
        second = generate(model, duration=1.0, seed=7, sliders={0: 1.0}, vocoder=vocoder, mode=mode)
        other = generate(model, duration=1.0, seed=8, sliders={0: 1.0}, vocoder=vocoder, mode=mode)
        assert torch.equal(first, second)
        assert not torch.equal(first[: other.numel()], other[: first.numel()])


def test_chunk_joints_have_no_jump_beyond_the_signals_own_variation(model, vocoder):
    hop = model.spectrogram.hop_length
    segment = model.vae_config["segment_frames"]
    duration = 3.0
    frames = model.spectrogram.num_frames(round(duration * 48000))
    assert chunk_count(frames, segment, segment // 2) >= 4
    wav = generate(model, duration=duration, seed=3, sliders={}, vocoder=vocoder, mode=TEXTURE)
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
    low = generate(model, duration=0.5, seed=1, sliders={0: -2.0}, vocoder=vocoder, mode=TEXTURE)
    high = generate(model, duration=0.5, seed=1, sliders={0: 2.0}, vocoder=vocoder, mode=TEXTURE)
    assert (low - high).abs().mean() > 1e-4


def test_a_one_shot_model_generates_one_shots_trimmed_where_they_fall_silent(model, vocoder):
    assert generation_mode(model) == ONE_SHOT
    segment_samples = model.vae_config["segment_frames"] * model.spectrogram.hop_length
    for seed in range(4):
        wav = generate(model, duration=4.0, seed=seed, sliders={}, vocoder=vocoder)
        assert 0 < wav.numel() <= segment_samples
        assert wav.abs().max() > 1e-3
        assert wav[-8:].abs().max() <= 0.05 * wav.abs().max()  # faded out, no click


def test_a_one_shot_is_never_longer_than_the_duration(model, vocoder):
    wav = generate(model, duration=0.05, seed=0, sliders={}, vocoder=vocoder)
    assert wav.numel() <= round(0.05 * model.spectrogram.sample_rate)


def test_trimming_keeps_everything_within_60_db_of_the_loudest_frame():
    power = torch.zeros(4, 10)
    power[:, 0], power[:, 5], power[:, 6] = 1e4, 2e-2, 1e-3  # frame 5 is 57 dB down, frame 6 is 70 dB down
    assert sounding_frames(torch.log1p(power)) == 6


@pytest.mark.parametrize("first_seed", [0, 17, 2**64 - 40])
def test_consecutive_seeds_start_from_every_anchor_before_any_repeats(first_seed):
    tour = anchor_tour(13, first_seed, 26)
    assert sorted(tour[:13].tolist()) == list(range(13)) and torch.equal(tour[:13], tour[13:])
    assert all(int(anchor_tour(13, first_seed + k)[0]) == tour[k] for k in range(26))  # one seed, one anchor
