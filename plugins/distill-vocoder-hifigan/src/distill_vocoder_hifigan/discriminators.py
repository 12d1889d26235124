"""Multi-period and multi-scale discriminators (HiFi-GAN paper, §2.2-2.3), and the
multi-resolution STFT discriminator (UnivNet, Jang et al. 2021) that can take the
multi-scale one's place: it looks at magnitude spectrograms at three resolutions, which
costs a fraction of the multi-scale stack's grouped convolutions over raw audio."""

from __future__ import annotations

import itertools
import math

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils import parametrizations

from distill_vocoder_hifigan.config import HiFiGANConfig

SLOPE = 0.1
Scores = list[torch.Tensor]
Features = list[list[torch.Tensor]]


def _score(layers: nn.ModuleList, post: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Run a conv stack: the flattened final score, and every layer's activations for feature matching."""
    features = []
    for layer in layers:
        x = F.leaky_relu(layer(x), SLOPE)
        features.append(x)
    x = post(x)
    features.append(x)
    return x.flatten(1), features


class PeriodDiscriminator(nn.Module):
    """Looks at every `period`-th sample as a 2-D grid: `[B, T] -> (score, features)`."""

    def __init__(self, period: int, width: int = 1) -> None:
        super().__init__()
        self.period = period
        chans = [1, 32 // width, 128 // width, 512 // width, 1024 // width]
        layers = [nn.Conv2d(a, b, (5, 1), (3, 1), padding=(2, 0)) for a, b in itertools.pairwise(chans)]
        layers.append(nn.Conv2d(chans[-1], chans[-1], (5, 1), 1, padding=(2, 0)))
        self.layers = nn.ModuleList(parametrizations.weight_norm(layer) for layer in layers)
        self.post = parametrizations.weight_norm(nn.Conv2d(chans[-1], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        length = wav.shape[-1]
        if length % self.period:
            wav = F.pad(wav, (0, self.period - length % self.period), mode="reflect")
        return _score(self.layers, self.post, wav.view(wav.shape[0], 1, -1, self.period))


class ScaleDiscriminator(nn.Module):
    """Grouped strided convolutions over raw (or pooled) audio: `[B, T] -> (score, features)`."""

    def __init__(self, width: int = 1, spectral: bool = False) -> None:
        super().__init__()
        norm = nn.utils.spectral_norm if spectral else parametrizations.weight_norm
        c = [128 // width, 256 // width, 512 // width, 1024 // width]
        groups = [max(1, g // width) for g in (4, 16, 16, 16, 16)]
        specs = [
            (1, c[0], 15, 1, 1, 7),
            (c[0], c[0], 41, 2, groups[0], 20),
            (c[0], c[1], 41, 2, groups[1], 20),
            (c[1], c[2], 41, 4, groups[2], 20),
            (c[2], c[3], 41, 4, groups[3], 20),
            (c[3], c[3], 41, 1, groups[4], 20),
            (c[3], c[3], 5, 1, 1, 2),
        ]
        self.layers = nn.ModuleList(norm(nn.Conv1d(i, o, k, s, groups=g, padding=p)) for i, o, k, s, g, p in specs)
        self.post = norm(nn.Conv1d(c[3], 1, 3, 1, padding=1))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return _score(self.layers, self.post, wav[:, None])


# (FFT size, hop, window) per resolution, in samples at 48 kHz; scaled to the model's rate.
RESOLUTIONS = ((512, 128, 512), (1024, 256, 1024), (2048, 512, 2048))


class ResolutionDiscriminator(nn.Module):
    """2-D convolutions over a linear magnitude spectrogram (frequency x time): `[B, T] -> (score, features)`."""

    def __init__(self, n_fft: int, hop: int, window: int, width: int = 1) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(window), persistent=False)
        c = max(1, 32 // width)
        layers = [nn.Conv2d(1, c, (3, 9), padding=(1, 4))]
        layers += [nn.Conv2d(c, c, (3, 9), (1, 2), padding=(1, 4)) for _ in range(3)]
        layers.append(nn.Conv2d(c, c, (3, 3), padding=(1, 1)))
        self.layers = nn.ModuleList(parametrizations.weight_norm(layer) for layer in layers)
        self.post = parametrizations.weight_norm(nn.Conv2d(c, 1, (3, 3), padding=(1, 1)))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = torch.stft(wav, self.n_fft, self.hop, self.window.numel(), self.window, return_complex=True)
        return _score(self.layers, self.post, spec.abs()[:, None])


def _resolutions(sample_rate: int) -> list[tuple[int, int, int]]:
    """`RESOLUTIONS` for `sample_rate`: the same durations, in powers of two."""
    scale = 2 ** round(math.log2(sample_rate / 48000)) if sample_rate > 0 else 1
    return [(max(64, int(n * scale)), max(16, int(h * scale)), max(64, int(w * scale))) for n, h, w in RESOLUTIONS]


class Discriminators(nn.Module):
    """MPD + MSD (or MRD): every sub-discriminator's scores and features for real and generated audio."""

    def __init__(self, config: HiFiGANConfig, kind: str = "msd") -> None:
        super().__init__()
        width = config.discriminator_width
        self.periods = nn.ModuleList(PeriodDiscriminator(p, width) for p in config.periods)
        if kind == "mrd":
            self.scales = nn.ModuleList(
                ResolutionDiscriminator(*res, width) for res in _resolutions(config.sample_rate)
            )
        else:
            self.scales = nn.ModuleList(ScaleDiscriminator(width, spectral=i == 0) for i in range(config.scales))
        self.pool = nn.AvgPool1d(4, 2, padding=2) if kind != "mrd" else None

    def forward(self, wav: torch.Tensor) -> tuple[Scores, Features]:
        """`[B, T]` -> (one score tensor per sub-discriminator, their feature maps)."""
        scores, features = [], []
        for discriminator in self.periods:
            score, feats = discriminator(wav)
            scores.append(score)
            features.append(feats)
        x = wav
        for index, discriminator in enumerate(self.scales):
            if index and self.pool is not None:
                x = self.pool(x[:, None])[:, 0]
            score, feats = discriminator(x)
            scores.append(score)
            features.append(feats)
        return scores, features
