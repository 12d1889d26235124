"""Small pictures of sound for the page: a recording's mel spectrogram."""

from __future__ import annotations

import numpy as np
import torch

from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel

# Dark blue -> purple -> orange -> pale yellow: loud is bright, silence is dark.
_STOPS = np.array([[12, 12, 40], [80, 30, 120], [190, 60, 90], [250, 150, 50], [252, 240, 180]], dtype=np.float32)


def colour(levels: np.ndarray) -> np.ndarray:
    """Values in [0, 1] `[H, W]` -> RGB `[H, W, 3]` uint8 along the palette above."""
    position = np.clip(levels, 0.0, 1.0) * (len(_STOPS) - 1)
    low = np.floor(position).astype(int).clip(0, len(_STOPS) - 2)
    frac = (position - low)[..., None]
    return (_STOPS[low] * (1 - frac) + _STOPS[low + 1] * frac).astype(np.uint8)


def spectrogram_picture(wav: torch.Tensor, config: SpectrogramConfig, seconds: float = 4.0) -> np.ndarray:
    """The model-space mel of the first `seconds` of `[samples]`, low notes at the bottom, `[n_mels, frames, 3]`."""
    clip = wav[: int(seconds * config.sample_rate)].float()
    mel = waveform_to_mel(clip[None], config)[0]
    decibels = 10 * torch.log10(torch.expm1(mel).clamp_min(1e-10))
    top = decibels.max()
    levels = ((decibels - (top - 80)) / 80).clamp(0, 1).flip(0).numpy()  # an 80 dB window under the peak
    return colour(levels)
