"""The resemblance measures: what they see in sounds whose answer is known."""

from __future__ import annotations

import math

import pytest
import torch

from distill.audio.resemblance import (
    CREST,
    FLATNESS,
    RATE,
    collection_features,
    excerpts,
    feature_matrix,
    features,
    score,
    sounding_seconds,
    spectral_flux,
)

T = torch.arange(2 * RATE) / RATE


def decaying_noise(seconds_to_minus_60_db: float, seed: int = 0) -> torch.Tensor:
    noise = torch.randn(T.numel(), generator=torch.Generator().manual_seed(seed))
    return noise * torch.exp(-T * math.log(1000) / seconds_to_minus_60_db)


def tone(f0: float, partials: int = 4) -> torch.Tensor:
    return sum(torch.sin(2 * math.pi * f0 * k * T) / k for k in range(1, partials + 1)) * torch.exp(-T * 2)


def test_a_sound_rings_until_40_db_under_its_peak():
    # -60 dB after 1.5 s is -40 dB after 1.0 s
    assert sounding_seconds(decaying_noise(1.5)) == pytest.approx(1.0, abs=0.03)
    assert sounding_seconds(decaying_noise(0.3)) == pytest.approx(0.2, abs=0.03)


def test_tones_have_sharper_lines_and_less_flatness_than_noise():
    noisy, tonal = features(decaying_noise(1.0)), features(tone(220.0))
    assert tonal[CREST] > noisy[CREST] + 1.0
    assert tonal[FLATNESS] < noisy[FLATNESS] - 1.0


def test_flatness_ignores_what_no_one_hears_under_a_frames_loudest_bin():
    """Hiss 100 dB under a tone (a render's floor above a recording's low-pass) leaves its flatness alone."""
    clean = tone(220.0)
    hiss = torch.randn(T.numel(), generator=torch.Generator().manual_seed(3)) * clean.abs().max() * 1e-5
    audible_hiss = hiss * 1e3  # 40 dB under the tone: a noisy tone
    flatness = [float(features(x)[FLATNESS]) for x in (clean, clean + hiss, clean + audible_hiss)]
    assert flatness[1] == pytest.approx(flatness[0], abs=0.05)
    assert flatness[2] > flatness[0] + 1.0


def test_a_moving_sound_has_more_flux_than_a_static_one():
    static = torch.randn(T.numel(), generator=torch.Generator().manual_seed(1)) * 0.1
    steps = torch.cat([torch.sin(2 * math.pi * f * T[: RATE // 8]) for f in (200, 900, 300, 2000) * 4])
    assert spectral_flux(steps) > 2 * spectral_flux(static)


def test_features_ignore_gain():
    sound = tone(330.0)
    assert torch.allclose(features(sound), features(0.01 * sound), atol=1e-3)


def test_a_set_covers_itself_and_not_another_kind_of_sound():
    tones = [tone(110.0 * 2 ** (k / 5)) for k in range(12)]
    noises = [decaying_noise(0.2 + 0.1 * k, seed=k) for k in range(12)]
    real = feature_matrix(tones)
    same = score(real, feature_matrix([tone(110.0 * 2 ** ((k + 0.5) / 5)) for k in range(12)]))
    other = score(real, feature_matrix(noises))
    assert same.coverage > 0.7 and other.coverage < 0.2
    assert other.mmd_ratio > 5 * same.mmd_ratio


def test_long_recordings_are_compared_in_excerpts_and_tiny_collections_are_not_judged():
    assert len(excerpts(torch.zeros(10 * RATE), 4.0)) == 2
    assert len(excerpts(torch.zeros(7 * RATE), 4.0)) == 1
    assert collection_features([tone(220.0)] * 5, RATE) is None
    assert collection_features([tone(220.0)] * 6, RATE).shape[0] == 6
