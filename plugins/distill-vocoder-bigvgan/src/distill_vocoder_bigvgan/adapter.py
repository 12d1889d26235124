"""Mapping the core's mel onto the mel BigVGAN-v2 was trained on (DESIGN §3).

Core: 48 kHz, centred frames every 512 samples, HTK power mel, log1p.
BigVGAN: 44.1 kHz, frame k spanning samples [512k - 768, 512k + 1280) (centre 512k + 256),
Slaney magnitude mel up to 22.05 kHz, log(clamp(x, 1e-5)).

So: undo log1p; move to BigVGAN's frame times (linear interpolation of band power);
estimate the linear power spectrum (NNLS inverse of the model's own filterbank);
resample it onto 44.1 kHz bin frequencies; take magnitudes through BigVGAN's Slaney
filterbank; log-clamp.
"""

from __future__ import annotations

import math
from functools import lru_cache

import torch
import torchaudio.functional as AF

from distill.vocoders import SpectrogramConfig, mel_to_linear_power, mel_to_power

TARGET_RATE = 44100
TARGET_FFT = 2048
TARGET_HOP = 512
TARGET_MELS = 128
LOG_FLOOR = 1e-5


@lru_cache(maxsize=4)
def slaney_filterbank(rate: int = TARGET_RATE, n_fft: int = TARGET_FFT, n_mels: int = TARGET_MELS) -> torch.Tensor:
    """BigVGAN's filterbank `[n_fft // 2 + 1, n_mels]`: Slaney scale and area normalisation (librosa's default)."""
    return AF.melscale_fbanks(n_fft // 2 + 1, 0.0, rate / 2, n_mels, rate, norm="slaney", mel_scale="slaney")


def target_frames(source_frames: int, config: SpectrogramConfig) -> int:
    """BigVGAN frames covering the span the source mel stands for (`frames * hop` samples)."""
    seconds = source_frames * config.hop_length / config.sample_rate
    return max(1, math.ceil(seconds * TARGET_RATE / TARGET_HOP))


def _frame_positions(count: int, config: SpectrogramConfig) -> torch.Tensor:
    """Where BigVGAN frame k's centre falls, in (fractional) source frames."""
    centres = (torch.arange(count, dtype=torch.float64) * TARGET_HOP + TARGET_HOP / 2) / TARGET_RATE
    return centres * config.sample_rate / config.hop_length


def _interpolate_frames(power: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Linear interpolation along the last axis at fractional `positions` (clamped to the ends)."""
    last = power.shape[-1] - 1
    positions = positions.clamp(0, last).to(power.device)
    left = positions.floor().long().clamp(max=max(last - 1, 0))
    right = (left + 1).clamp(max=last)
    weight = (positions - left).to(power.dtype)
    return power[..., left] * (1 - weight) + power[..., right] * weight


def _bin_regrid(config: SpectrogramConfig, device: torch.device) -> torch.Tensor:
    """`[n_freqs_src, n_freqs_44k]` linear-interpolation matrix between bin frequencies."""
    source = torch.arange(config.n_freqs, dtype=torch.float64) * config.sample_rate / config.n_fft
    target = torch.arange(TARGET_FFT // 2 + 1, dtype=torch.float64) * TARGET_RATE / TARGET_FFT
    position = (target / (source[1] - source[0])).clamp(max=config.n_freqs - 1)
    left = position.floor().long().clamp(max=config.n_freqs - 2)
    weight = position - left
    matrix = torch.zeros(config.n_freqs, target.numel(), dtype=torch.float64)
    columns = torch.arange(target.numel())
    matrix[left, columns] = 1 - weight
    matrix[left + 1, columns] += weight
    return matrix.float().to(device)


def adapt_mel(mel: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    """Core log1p mel `[B, n_mels, frames]` -> BigVGAN log-mel `[B, 128, frames_44k]`."""
    power = mel_to_power(mel)
    frames = target_frames(mel.shape[-1], config)
    moved = _interpolate_frames(power, _frame_positions(frames, config))
    linear = mel_to_linear_power(torch.log1p(moved), config)
    regridded = torch.einsum("bft,fg->bgt", linear, _bin_regrid(config, mel.device))
    magnitude = (regridded + 1e-9).sqrt()
    bands = torch.einsum("bft,fm->bmt", magnitude, slaney_filterbank().to(mel.device))
    return bands.clamp_min(LOG_FLOOR).log()


def reference_mel(wav: torch.Tensor) -> torch.Tensor:
    """BigVGAN's own mel of 44.1 kHz audio `[B, samples] -> [B, 128, samples // 512]`.

    Reflect-pad by (n_fft - hop) / 2, uncentred Hann STFT, sqrt(power + 1e-9), Slaney
    bands, log-clamp: the input the generator was trained on, used to measure the adapter.
    """
    pad = (TARGET_FFT - TARGET_HOP) // 2
    padded = torch.nn.functional.pad(wav[:, None], (pad, pad), mode="reflect")[:, 0]
    spec = torch.stft(
        padded,
        TARGET_FFT,
        TARGET_HOP,
        window=torch.hann_window(TARGET_FFT, device=wav.device),
        center=False,
        return_complex=True,
    )
    magnitude = (spec.real.pow(2) + spec.imag.pow(2) + 1e-9).sqrt()
    bands = torch.einsum("bft,fm->bmt", magnitude, slaney_filterbank().to(wav.device))
    return bands.clamp_min(LOG_FLOOR).log()
