"""The Griffin-Lim plugin: found by entry point, always available, faithful enough."""

from __future__ import annotations

import math

import torch

from distill.host.registry import get_registry
from distill.host.selector import rank_vocoders, select_vocoder
from distill.vocoders import SpectrogramConfig, waveform_to_mel
from distill_vocoder_griffinlim import GriffinLimVocoder


def _tone(seconds: float, rate: int) -> torch.Tensor:
    t = torch.arange(int(seconds * rate)) / rate
    return (0.3 * torch.sin(2 * math.pi * 440 * t) * torch.exp(-2 * t))[None]


def test_registry_finds_griffinlim_through_its_entry_point():
    record = get_registry().record("griffinlim")
    assert record is not None and record.status == "ok"
    assert record.distribution == "distill-vocoder-griffinlim"
    assert "griffinlim" in rank_vocoders(None)


def test_output_has_the_requested_length_and_is_finite():
    config = SpectrogramConfig()
    wav = _tone(0.4, config.sample_rate)
    mel = waveform_to_mel(wav, config)
    vocoder = select_vocoder("griffinlim", None, torch.device("cpu"))
    out = vocoder.mel_to_waveform(mel, num_samples=wav.shape[-1])
    assert out.shape == wav.shape and out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert vocoder.mel_to_waveform(mel).shape[-1] == mel.shape[-1] * config.hop_length


def test_reconstruction_keeps_the_spectral_envelope():
    config = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=64)
    wav = _tone(0.5, config.sample_rate)
    mel = waveform_to_mel(wav, config)
    out = GriffinLimVocoder(config).mel_to_waveform(mel, num_samples=wav.shape[-1])
    assert (waveform_to_mel(out, config) - mel).abs().mean() < 0.05
    assert 0.5 < out.abs().max() / wav.abs().max() < 2.0


def test_long_inputs_are_vocoded_in_chunks_that_match_one_pass(monkeypatch):
    from distill_vocoder_griffinlim import vocoder as vocoder_module

    config = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=64)
    rate = config.sample_rate
    t = torch.arange(5 * rate) / rate
    sweep = 0.3 * torch.sin(2 * math.pi * (200 + 300 * t) * t) * (1 + torch.sin(2 * math.pi * 1.5 * t)) / 2
    mel = waveform_to_mel(sweep[None], config)
    vocoder = GriffinLimVocoder(config)
    whole = vocoder.mel_to_waveform(mel)
    monkeypatch.setattr(vocoder_module, "CHUNK_FRAMES", 150)  # 4 chunks, 3 joints
    chunked = vocoder.mel_to_waveform(mel)
    assert chunked.shape == whole.shape
    assert (chunked - whole).norm() / whole.norm() < 1e-2


def test_renders_on_each_device(device):
    config = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=64)
    wav = _tone(0.3, config.sample_rate)
    vocoder = GriffinLimVocoder(config).to(device)
    out = vocoder.mel_to_waveform(waveform_to_mel(wav.to(device), config), num_samples=wav.shape[-1])
    assert out.device.type == device and out.shape == wav.shape and torch.isfinite(out).all()
