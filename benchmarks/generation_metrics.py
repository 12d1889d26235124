"""Do generated sounds resemble their collection? (docs/benchmarks.md, generation quality)

Every sound becomes a gain-free feature vector: its mel spectral shape over the frames
that sound, the first half second of its level envelope, and its spectral flatness. The
features are standardised by the real set and each group is scaled to the same weight,
so no group wins by having more numbers. On those vectors:

* density and coverage (Naeem et al. 2020, k = 3): are generated sounds where real ones
  are (density), and is every real sound near some generated one (coverage)?
* MMD² (Gaussian kernel, bandwidth = median real distance) divided by the MMD² between
  two random halves of the real set: 1 means "as close as the collection is to itself".
* spread: mean pairwise distance, generated over real (1 = as varied as the collection).
* nearest real neighbour of each generated sound, to tell variation from copying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torchaudio

RATE = 48000
HOP = 480  # 10 ms frames
N_FFT = 2048
N_BANDS = 40
ENVELOPE_FRAMES = 50  # the first half second
FLOOR_DB = -60.0
SOUNDING_DB = -30.0  # frames within this of the loudest frame count as sounding
K = 3

_mel = torchaudio.transforms.MelSpectrogram(RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_BANDS, power=2.0)


def features(wav: torch.Tensor) -> torch.Tensor:
    """Mono `[samples]` at 48 kHz -> `[N_BANDS + ENVELOPE_FRAMES + 1]` gain-free features."""
    wav = wav.float()
    if wav.numel() < N_FFT:
        wav = torch.nn.functional.pad(wav, (0, N_FFT - wav.numel()))
    power = _mel(wav) + 1e-12  # [bands, frames]
    frame_db = 10 * torch.log10(power.sum(0))
    sounding = frame_db >= frame_db.max() + SOUNDING_DB
    shape_db = 10 * torch.log10(power[:, sounding].mean(-1))
    shape = shape_db - shape_db.mean()
    frames = wav[: ENVELOPE_FRAMES * HOP]
    frames = torch.nn.functional.pad(frames, (0, ENVELOPE_FRAMES * HOP - frames.numel())).view(ENVELOPE_FRAMES, HOP)
    rms_db = 10 * torch.log10(frames.pow(2).mean(-1) + 1e-12)
    whole_peak_db = 10 * torch.log10(wav.unfold(0, HOP, HOP).pow(2).mean(-1).max() + 1e-12)
    envelope = (rms_db - whole_peak_db).clamp_min(FLOOR_DB)
    spectrum = torch.stft(wav, N_FFT, HOP, window=torch.hann_window(N_FFT), return_complex=True).abs().pow(2) + 1e-12
    flatness = torch.exp(torch.log(spectrum).mean(0)) / spectrum.mean(0)
    frame_total = spectrum.sum(0)
    loud = 10 * torch.log10(frame_total) >= 10 * torch.log10(frame_total.max()) + SOUNDING_DB
    log_flatness = torch.log(flatness[loud]).mean()
    return torch.cat([shape, envelope, log_flatness[None]])


GROUPS = (slice(0, N_BANDS), slice(N_BANDS, N_BANDS + ENVELOPE_FRAMES), slice(N_BANDS + ENVELOPE_FRAMES, None))


def standardise(real: torch.Tensor, *others: torch.Tensor) -> list[torch.Tensor]:
    """Scale every set by the real set's statistics, each feature group to equal weight."""
    mean, std = real.mean(0), real.std(0).clamp_min(1e-6)
    weight = torch.ones(real.shape[1])
    for group in GROUPS:
        weight[group] = 1 / math.sqrt(weight[group].numel())
    return [(x - mean) / std * weight for x in (real, *others)]


def _mmd2(x: torch.Tensor, y: torch.Tensor, bandwidth: float) -> float:
    """MMD² with a Gaussian kernel (the biased V-statistic: never negative, so ratios stay meaningful)."""

    def kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.exp(-torch.cdist(a, b).pow(2) / (2 * bandwidth**2))

    return float(kernel(x, x).mean() + kernel(y, y).mean() - 2 * kernel(x, y).mean())


@dataclass
class GenerationScores:
    density: float
    coverage: float
    mmd_ratio: float
    spread: float
    nearest_real: float  # median distance from a generated sound to its nearest real one
    real_nearest_real: float  # median distance from a real sound to its nearest other real one
    closest_copy: float  # smallest generated -> nearest real distance


def score(real_features: torch.Tensor, generated_features: torch.Tensor, seed: int = 0) -> GenerationScores:
    """Compare `[N, D]` real and `[M, D]` generated feature vectors (see module docstring)."""
    real, fake = standardise(real_features.double(), generated_features.double())
    real_dist = torch.cdist(real, real)
    radii = real_dist.topk(K + 1, largest=False).values[:, -1]  # k-th neighbour, self excluded
    cross = torch.cdist(fake, real)  # [M, N]
    inside = cross < radii[None]
    density = float(inside.sum() / (K * fake.shape[0]))
    coverage = float(inside.any(0).float().mean())
    off_diagonal = real_dist[~torch.eye(real.shape[0], dtype=torch.bool)]
    bandwidth = float(off_diagonal.median())
    g = torch.Generator().manual_seed(seed)
    halves = []
    for _ in range(20):
        order = torch.randperm(real.shape[0], generator=g)
        half = real.shape[0] // 2
        halves.append(_mmd2(real[order[:half]], real[order[half:]], bandwidth))
    baseline = max(sum(halves) / len(halves), 1e-9)
    fake_dist = torch.cdist(fake, fake)
    spread = float(fake_dist.sum() / (fake.shape[0] * (fake.shape[0] - 1))) / float(off_diagonal.mean())
    nearest = cross.min(1).values
    real_nn = (real_dist + torch.eye(real.shape[0]) * 1e9).min(1).values
    return GenerationScores(
        density=density,
        coverage=coverage,
        mmd_ratio=_mmd2(fake, real, bandwidth) / baseline,
        spread=spread,
        nearest_real=float(nearest.median()),
        real_nearest_real=float(real_nn.median()),
        closest_copy=float(nearest.min()),
    )
