"""The mel adapter against BigVGAN's own mel of the same audio at 44.1 kHz."""

from __future__ import annotations

import math

import pytest
import torch

from distill.vocoders import SpectrogramConfig, resample, waveform_to_mel
from distill_vocoder_bigvgan import adapt_mel, adapter
from distill_vocoder_bigvgan.adapter import reference_mel, slaney_filterbank


def _texture(seconds: float = 2.0, rate: int = 48000) -> torch.Tensor:
    """Broadband material like most of what users bring: a rumble bed plus decaying noise hits."""
    g = torch.Generator().manual_seed(0)
    t = torch.arange(int(seconds * rate)) / rate
    noise = torch.randn(t.shape, generator=g)
    rumble = torch.cumsum(noise, 0)
    rumble = (rumble - rumble.mean()) / rumble.abs().max()
    hits = noise * torch.exp(-(t % 0.25) / 0.03)
    return (0.2 * rumble + 0.3 * hits)[None]


def _error(adapted: torch.Tensor, reference: torch.Tensor) -> float:
    frames = min(adapted.shape[-1], reference.shape[-1])
    a, r = adapted[..., :frames], reference[..., :frames]
    mask = r > math.log(1e-4)
    return (a - r).abs()[mask].mean().item()


def test_slaney_filterbank_matches_librosa():
    import librosa

    expected = torch.from_numpy(librosa.filters.mel(sr=44100, n_fft=2048, n_mels=128, fmin=0, fmax=None)).T
    torch.testing.assert_close(slaney_filterbank(), expected, atol=1e-6, rtol=1e-4)


def test_adapted_mel_is_close_to_bigvgans_own_and_far_better_than_the_naive_swap():
    config = SpectrogramConfig()
    wav = _texture()
    mel = waveform_to_mel(wav, config)
    reference = reference_mel(resample(wav, 48000, 44100))
    adapted = adapt_mel(mel, config)
    assert adapted.shape[:2] == (1, 128)
    assert abs(adapted.shape[-1] - reference.shape[-1]) <= 1
    naive = torch.log(torch.expm1(mel).clamp_min(1e-5))
    assert _error(adapted, reference) < 0.15
    assert _error(naive, reference) > 2.0


def _tonal(kind: str, seconds: float = 1.0, rate: int = 48000) -> torch.Tensor:
    """Peaked spectra, the hard case: a power mel does not say how peaked a band's spectrum was,
    and BigVGAN's mel sums magnitudes, so a smooth estimate inflates every band it spreads into."""
    t = torch.arange(int(seconds * rate), dtype=torch.float64) / rate
    if kind == "harmonic":
        partials = sum(0.3 / k * torch.sin(2 * math.pi * 196 * k * t + k) for k in range(1, 30))
        return (partials * torch.exp(-1.5 * t)).float()[None]
    return (0.5 * torch.sin(2 * math.pi * float(kind) * t)).float()[None]


@pytest.mark.parametrize(
    ("kind", "bound"),  # without gathering peaks into single lines: 0.14, 0.84, 0.20, 0.43, 0.36 nats
    [("1000", 0.16), ("2500", 0.55), ("3000", 0.2), ("6000", 0.3), ("harmonic", 0.4)],
)
def test_tones_and_partials_keep_their_peaks(kind, bound):
    config = SpectrogramConfig()
    wav = _tonal(kind)
    adapted = adapt_mel(waveform_to_mel(wav, config), config)
    assert _error(adapted, reference_mel(resample(wav, 48000, 44100))) < bound


def test_long_mels_adapt_chunk_by_chunk_as_in_one_piece(monkeypatch):
    config = SpectrogramConfig()
    mel = torch.log1p(10 * torch.rand(2, 128, 120, generator=torch.Generator().manual_seed(1)))
    whole = adapt_mel(mel, config)
    monkeypatch.setattr(adapter, "CHUNK_FRAMES", 7)
    close = {"rtol": 1e-5, "atol": 1e-4}  # nats; float sums grouped by other shapes differ by ~3e-5
    torch.testing.assert_close(adapt_mel(mel, config), whole, **close)
    torch.testing.assert_close(adapt_mel(mel[1:], config), whole[1:], **close)


def test_silence_and_loud_mels_stay_finite():
    config = SpectrogramConfig()
    silent = adapt_mel(torch.zeros(1, 128, 20), config)
    assert torch.isfinite(silent).all() and silent.max() < math.log(1e-3)
    loud = adapt_mel(torch.full((1, 128, 20), 25.0), config)
    assert torch.isfinite(loud).all()


def test_adapter_covers_the_whole_span_of_the_source_mel():
    config = SpectrogramConfig()
    mel = torch.rand(2, 128, 94)
    adapted = adapt_mel(mel, config)
    assert adapted.shape[-1] * 512 / 44100 >= 94 * 512 / 48000
    assert torch.isfinite(adapted).all() and adapted.min() >= math.log(1e-5) - 1e-6
