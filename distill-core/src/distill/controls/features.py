"""Audio features measured on mels, used to give sliders names a musician recognises."""

from __future__ import annotations

import math

import torch

from distill.audio.spectrogram import SpectrogramConfig, mel_to_power


def band_centres(config: SpectrogramConfig) -> torch.Tensor:
    """Centre frequency (Hz) of each HTK mel band."""
    to_mel = lambda hz: 2595.0 * math.log10(1.0 + hz / 700.0)  # noqa: E731  (HTK)
    points = torch.linspace(to_mel(config.f_min), to_mel(config.f_max_hz), config.n_mels + 2)[1:-1]
    return 700.0 * (10 ** (points / 2595.0) - 1.0)


# The smallest change along a slider worth naming it after, in each feature's own unit:
# below these a listener hears no difference, however large the change is in z-scores.
AUDIBLE_CHANGE = {"brightness": 0.05, "noisiness": 0.01, "loudness": 1.0, "decay": 1.0, "bass": 0.02}


def mel_features(mel: torch.Tensor, config: SpectrogramConfig) -> dict[str, torch.Tensor]:
    """Per-example features of log1p mels `[B, n_mels, frames]`, each `[B]`.

    brightness: spectral centroid (log Hz); noisiness: spectral flatness; loudness: mean
    power (dB); decay: energy-weighted time centre (frames); bass: share of energy below
    200 Hz.
    """
    power = mel_to_power(mel) + 1e-10
    centres = band_centres(config).to(mel.device)
    spectrum = power.mean(dim=-1)
    envelope = power.sum(dim=1)
    frames = torch.arange(mel.shape[-1], device=mel.device, dtype=power.dtype)
    return {
        "brightness": torch.log((spectrum * centres).sum(-1) / spectrum.sum(-1)),
        "noisiness": torch.exp(torch.log(spectrum).mean(-1)) / spectrum.mean(-1),
        "loudness": 10 * torch.log10(spectrum.mean(-1)),
        "decay": (envelope * frames).sum(-1) / envelope.sum(-1),
        "bass": spectrum[:, centres < 200].sum(-1) / spectrum.sum(-1),
    }
