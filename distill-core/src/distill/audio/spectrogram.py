"""The core mel representation (a contract: docs/writing-a-vocoder-plugin.md §3) and its well-conditioned inverse.

Every model carries its `SpectrogramConfig`; vocoders read it from the model rather
than assume the defaults.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

import torch
import torchaudio


@dataclass(frozen=True)
class SpectrogramConfig:
    """The VAE's mel space: power mel, HTK scale, log1p-normalised."""

    sample_rate: int = 48000
    n_fft: int = 2048
    hop_length: int = 512
    n_mels: int = 128
    f_min: float = 0.0
    f_max: float | None = None

    @property
    def n_freqs(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def f_max_hz(self) -> float:
        return float(self.f_max) if self.f_max is not None else self.sample_rate / 2

    def num_frames(self, num_samples: int) -> int:
        """Frames a centred STFT gives for `num_samples` samples."""
        return num_samples // self.hop_length + 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpectrogramConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


CHUNK_FRAMES = 4096  # long recordings are analysed this many frames at a time (~44 s at 48 kHz)


@lru_cache(maxsize=16)
def _mel_transform(config: SpectrogramConfig, device: str, center: bool = True) -> torchaudio.transforms.MelSpectrogram:
    """One transform per config and device, built outside inference mode: its window and
    filterbank are then ordinary tensors that training can differentiate through, even
    when the first caller was generating under `torch.inference_mode()`."""
    with torch.inference_mode(False):
        return torchaudio.transforms.MelSpectrogram(
            sample_rate=config.sample_rate,
            n_fft=config.n_fft,
            hop_length=config.hop_length,
            n_mels=config.n_mels,
            f_min=config.f_min,
            f_max=config.f_max,
            power=2.0,
            mel_scale="htk",
            center=center,
        ).to(device)


def _covering_samples(wav: torch.Tensor, config: SpectrogramConfig, first: int, stop: int) -> torch.Tensor:
    """The samples centred frames `first..stop-1` see, reflect-padded at the ends exactly as a
    centred STFT pads the whole signal: `[B, samples] -> [B, (stop - first - 1) * hop + n_fft]`."""
    samples, half = wav.shape[-1], config.n_fft // 2
    lo = first * config.hop_length - half
    hi = (stop - 1) * config.hop_length - half + config.n_fft
    parts = [wav[..., max(lo, 0) : min(hi, samples)]]
    if lo < 0:
        parts.insert(0, wav[..., 1 : 1 - lo].flip(-1))
    if hi > samples:
        parts.append(wav[..., samples - 1 - (hi - samples) : samples - 1].flip(-1))
    return torch.cat(parts, dim=-1) if len(parts) > 1 else parts[0]


def waveform_to_mel(wav: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    """`[B, samples]` at `config.sample_rate` -> log1p power mel `[B, n_mels, frames]`.

    Long inputs are analysed `CHUNK_FRAMES` frames at a time from just the samples those
    frames cover, so memory stays that of one chunk's STFT rather than the whole signal's
    (an hour at 48 kHz would need 2.8 GB of complex spectrum), with the same frames.
    Inputs shorter than half a window (a click, one sample) are zero-padded first, which
    a centred STFT's reflect padding cannot do.
    """
    wav = wav.float()
    samples = wav.shape[-1]
    frames = config.num_frames(samples)
    if samples <= config.n_fft // 2:
        padded = torch.nn.functional.pad(wav, (0, config.n_fft // 2 + 1 - samples))
        return torch.log1p(_mel_transform(config, str(wav.device))(padded))[..., :frames]
    if frames <= CHUNK_FRAMES:
        return torch.log1p(_mel_transform(config, str(wav.device))(wav))
    transform = _mel_transform(config, str(wav.device), center=False)
    mel = wav.new_empty((*wav.shape[:-1], config.n_mels, frames))
    for first in range(0, frames, CHUNK_FRAMES):
        stop = min(first + CHUNK_FRAMES, frames)
        mel[..., first:stop] = torch.log1p(transform(_covering_samples(wav, config, first, stop)))
    return mel


def mel_to_power(mel: torch.Tensor) -> torch.Tensor:
    """Undo the log1p normalisation; clamps the small negatives a generator may produce."""
    return torch.expm1(mel.float()).clamp_min(0.0)


def mel_filterbank(config: SpectrogramConfig, device: torch.device | str = "cpu") -> torch.Tensor:
    """The model's own filterbank `[n_freqs, n_mels]`, exactly as `waveform_to_mel` applies it."""
    return _mel_transform(config, str(torch.device(device))).mel_scale.fb


def mel_to_linear_power(mel: torch.Tensor, config: SpectrogramConfig, iterations: int = 64) -> torch.Tensor:
    """Log1p mel `[B, n_mels, frames]` -> non-negative power spectrum `[B, n_freqs, frames]`.

    The filterbank is not invertible (fewer bands than bins, and at low frequencies bands
    narrower than a bin), so a pseudo-inverse rings and goes negative. This solves the
    non-negative least-squares fit `fb.T @ S ≈ P` with multiplicative updates, started
    from each band's energy spread evenly over the bins it covers: the estimate stays
    non-negative and smooth, and reproduces the mel it came from.
    """
    power = mel_to_power(mel)
    fb = mel_filterbank(config, power.device)
    eps = torch.finfo(power.dtype).tiny ** 0.5
    band_mass = fb.sum(dim=0).clamp_min(eps)
    coverage = fb.sum(dim=1, keepdim=True)
    spread = fb / coverage.clamp_min(eps)
    estimate = torch.einsum("fm,bmt->bft", spread, power / band_mass[None, :, None])
    numerator = torch.einsum("fm,bmt->bft", fb, power)
    for _ in range(iterations):
        projected = torch.einsum("fm,bft->bmt", fb, estimate)
        denominator = torch.einsum("fm,bmt->bft", fb, projected)
        estimate = estimate * numerator / denominator.clamp_min(eps)
    return estimate
