"""Long recordings in bounded memory: block-wise mix-down, resampling and mel equal one pass."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch
import torchaudio

from distill.audio import io, resampling, spectrogram
from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel

CONFIG = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)


def _one_pass_mel(wav: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    transform = torchaudio.transforms.MelSpectrogram(
        sample_rate=config.sample_rate,
        n_fft=config.n_fft,
        hop_length=config.hop_length,
        n_mels=config.n_mels,
        f_min=config.f_min,
        f_max=config.f_max,
        power=2.0,
        mel_scale="htk",
    )
    return torch.log1p(transform(wav))


@pytest.mark.parametrize("samples", [257, 128 * 33, 128 * 33 + 1, 128 * 100 - 1, 128 * 100 + 77])
def test_mel_in_chunks_equals_one_pass(monkeypatch, samples):
    monkeypatch.setattr(spectrogram, "CHUNK_FRAMES", 16)
    wav = torch.randn(2, samples, generator=torch.Generator().manual_seed(samples))
    chunked, whole = waveform_to_mel(wav, CONFIG), _one_pass_mel(wav, CONFIG)
    assert chunked.shape == whole.shape == (2, CONFIG.n_mels, CONFIG.num_frames(samples))
    torch.testing.assert_close(chunked, whole, rtol=1e-6, atol=2e-6)


@pytest.mark.parametrize("samples", [1, 2, 100, 256])
def test_a_click_shorter_than_half_a_window_still_has_a_mel(samples):
    mel = waveform_to_mel(torch.full((1, samples), 0.5), CONFIG)
    assert mel.shape == (1, CONFIG.n_mels, CONFIG.num_frames(samples))
    assert torch.isfinite(mel).all() and mel.sum() > 0


@pytest.mark.parametrize(("orig", "new"), [(44100, 48000), (48000, 44100), (48000, 96000), (22050, 48000)])
def test_resampling_in_blocks_equals_one_pass(monkeypatch, orig, new):
    wav = torch.randn(2, 50_000, generator=torch.Generator().manual_seed(orig))
    whole = resampling.resample(wav, orig, new)
    monkeypatch.setattr(resampling, "BLOCK_SAMPLES", 3000)
    blocks = resampling.resample(wav, orig, new)
    assert blocks.shape == whole.shape
    torch.testing.assert_close(blocks, whole, rtol=0, atol=1e-6)


def test_mix_down_block_by_block_equals_the_mean_of_the_channels(monkeypatch, tmp_path):
    stereo = np.random.default_rng(0).uniform(-0.5, 0.5, (10_001, 2)).astype(np.float32)
    sf.write(tmp_path / "st.wav", stereo, 48000, subtype="FLOAT")
    monkeypatch.setattr(io, "MIX_BLOCK", 1000)
    mono, rate = io.read_mono(tmp_path / "st.wav")
    channels, _ = io.read_audio(tmp_path / "st.wav")
    assert rate == 48000
    torch.testing.assert_close(mono, channels.mean(dim=0), rtol=0, atol=1e-7)
