"""A patch discriminator over the VAE's mel: the critic that teaches the decoder detail.

An L1 reconstruction is the median of what the posterior could decode to, so it blurs
whatever the latent does not pin down exactly: onsets, the silence after a short hit,
the partials of a bell. A critic that judges local patches of the mel as real or
decoded does not accept a blur, so a decoder trained against it (after the VAE has
learned, as RAVE and AudioLDM's mel VAE do) puts detail back. Two scales: the mel as it
is and halved in both axes, so the critic sees both fine lines and whole envelopes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import torch
from torch import nn


@dataclass
class DiscriminatorConfig:
    channels: tuple[int, ...] = (16, 32, 64)
    scales: int = 2


class PatchCritic(nn.Module):
    """`[B, 1, n_mels, frames]` -> patch scores `[B, 1, n_mels / 2^L, frames / 2^L]` and each layer's features."""

    def __init__(self, channels: tuple[int, ...]) -> None:
        super().__init__()
        chans = (1, *channels)
        self.layers = nn.ModuleList(
            nn.Sequential(nn.Conv2d(a, b, 3, stride=2, padding=1), nn.LeakyReLU(0.2))
            for a, b in itertools.pairwise(chans)
        )
        self.out = nn.Conv2d(chans[-1], 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        features = []
        for layer in self.layers:
            x = layer(x)
            features.append(x)
        return self.out(x), features


class MelDiscriminator(nn.Module):
    """Critics at `config.scales` scales over a standardised mel `[B, n_mels, frames]`."""

    def __init__(self, config: DiscriminatorConfig | None = None) -> None:
        super().__init__()
        config = config or DiscriminatorConfig()
        self.critics = nn.ModuleList(PatchCritic(config.channels) for _ in range(config.scales))

    def forward(self, mel: torch.Tensor) -> list[tuple[torch.Tensor, list[torch.Tensor]]]:
        x = mel[:, None]
        results = []
        for index, critic in enumerate(self.critics):
            if index:
                x = nn.functional.avg_pool2d(x, 2, ceil_mode=True)
            results.append(critic(x))
        return results
