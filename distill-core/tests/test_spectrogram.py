"""The core mel contract (docs/writing-a-vocoder-plugin.md §3) and its non-negative inverse."""

from __future__ import annotations

import math

import torch
import torchaudio

from distill.audio.spectrogram import (
    SpectrogramConfig,
    mel_filterbank,
    mel_to_linear_power,
    waveform_to_mel,
)


def _chord(seconds: float = 0.5, rate: int = 48000) -> torch.Tensor:
    t = torch.arange(int(seconds * rate)) / rate
    tones = sum(torch.sin(2 * math.pi * f * t) for f in (110.0, 440.0, 3000.0))
    noise = 0.05 * torch.randn(t.shape, generator=torch.Generator().manual_seed(0))
    return (0.2 * tones + noise)[None]


def test_default_config_matches_the_contract():
    config = SpectrogramConfig()
    assert (config.sample_rate, config.n_fft, config.hop_length, config.n_mels) == (48000, 2048, 512, 128)
    assert config.f_min == 0 and config.f_max is None
    assert SpectrogramConfig.from_dict(config.to_dict()) == config


def test_waveform_to_mel_is_log1p_of_torchaudio_power_htk_mel():
    config = SpectrogramConfig()
    wav = _chord()
    reference = torchaudio.transforms.MelSpectrogram(
        sample_rate=48000, n_fft=2048, hop_length=512, n_mels=128, power=2.0, mel_scale="htk"
    )(wav)
    mel = waveform_to_mel(wav, config)
    assert mel.shape == (1, 128, config.num_frames(wav.shape[-1]))
    torch.testing.assert_close(mel, torch.log1p(reference))


def test_linear_estimate_is_non_negative_and_reproduces_the_mel():
    config = SpectrogramConfig()
    mel = waveform_to_mel(_chord(), config)
    linear = mel_to_linear_power(mel, config)
    assert linear.shape == (1, config.n_freqs, mel.shape[-1])
    assert linear.min() >= 0
    remelled = torch.log1p(torch.einsum("fm,bft->bmt", mel_filterbank(config), linear))
    assert (remelled - mel).abs().mean() < 0.08


def test_linear_estimate_beats_the_pseudo_inverse_on_the_true_spectrum():
    config = SpectrogramConfig()
    wav = _chord()
    true_power = (
        torch.stft(wav, config.n_fft, config.hop_length, window=torch.hann_window(config.n_fft), return_complex=True)
        .abs()
        .pow(2)
    )
    mel = waveform_to_mel(wav, config)
    ours = mel_to_linear_power(mel, config)
    pinv = (torch.linalg.pinv(mel_filterbank(config)).T @ torch.expm1(mel)).clamp_min(0)
    log_error = lambda estimate: (torch.log1p(estimate) - torch.log1p(true_power)).abs().mean()  # noqa: E731
    assert log_error(ours) < log_error(pinv)


def test_mel_first_used_while_generating_still_supports_training():
    config = SpectrogramConfig(sample_rate=16000, n_fft=256, hop_length=64, n_mels=20)
    with torch.inference_mode():
        waveform_to_mel(torch.randn(1, 1600), config)
    wav = torch.randn(1, 1600, requires_grad=True)
    waveform_to_mel(wav, config).sum().backward()
    assert wav.grad is not None and wav.grad.abs().sum() > 0
