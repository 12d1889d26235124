"""A convolutional VAE over fixed-length log-mel segments.

It reads and writes the core's log1p mel (docs/architecture.md, *The mel*) but learns in a *level* scale,
`log1p(power / level_floor)`: logarithmic all the way down to `level_floor` instead of
linear below a power of 1 as log1p is. In log1p, a decay tail or a quiet high band 40 dB
under the peak is ≈ 0, so a decoder that leaves a hiss floor where the collection has
silence (or silence where it has a tail) is barely penalised; in the level scale both are
errors of several units. Silence is 0 in both scales.

The network itself sees the level standardised by the collection's per-band mean and
overall spread (buffers set once before training, stored with the weights), so its
outputs start near the collection's typical spectrum instead of having to climb to it.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn


@dataclass
class VAEConfig:
    """Architecture; travels in the model file. `n_mels` and `segment_frames` must be
    divisible by 2 ** len(channels)."""

    n_mels: int = 128
    segment_frames: int = 128
    latent_dim: int = 32
    channels: tuple[int, ...] = (32, 64, 128, 256)
    level_floor: float | None = 1e-3  # mel power treated as silence; None: learn log1p itself (v0.2 models)

    def __post_init__(self) -> None:
        self.channels = tuple(self.channels)
        factor = 2 ** len(self.channels)
        if self.n_mels % factor or self.segment_frames % factor:
            raise ValueError(f"n_mels and segment_frames must be divisible by {factor}")

    @property
    def bottleneck(self) -> tuple[int, int, int]:
        factor = 2 ** len(self.channels)
        return self.channels[-1], self.n_mels // factor, self.segment_frames // factor

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["channels"] = list(self.channels)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VAEConfig:
        """A stored config; one without `level_floor` predates the level scale and keeps log1p."""
        known = {f.name for f in fields(cls)}
        return cls(**{"level_floor": None, **{k: v for k, v in data.items() if k in known}})


def _down(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 4, stride=2, padding=1), nn.GroupNorm(1, c_out), nn.SiLU())


def _up(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.ConvTranspose2d(c_in, c_out, 4, stride=2, padding=1), nn.GroupNorm(1, c_out), nn.SiLU())


class VAE(nn.Module):
    """`[B, n_mels, segment_frames]` log1p mel <-> `[B, latent_dim]` latent."""

    def __init__(self, config: VAEConfig) -> None:
        super().__init__()
        self.config = config
        chans = (1, *config.channels)
        self.encoder = nn.Sequential(*(_down(a, b) for a, b in itertools.pairwise(chans)), nn.Flatten())
        flat = config.bottleneck[0] * config.bottleneck[1] * config.bottleneck[2]
        self.to_stats = nn.Linear(flat, 2 * config.latent_dim)
        self.from_latent = nn.Linear(config.latent_dim, flat)
        rev = config.channels[::-1]
        self.decoder = nn.Sequential(*(_up(a, b) for a, b in itertools.pairwise(rev)))
        self.head = nn.ConvTranspose2d(rev[-1], 1, 4, stride=2, padding=1)
        if config.level_floor is not None:
            self.register_buffer("level_centre", torch.zeros(config.n_mels, 1))
            self.register_buffer("level_spread", torch.ones(()))

    @torch.no_grad()
    def fit_level_statistics(self, mel: torch.Tensor) -> None:
        """Set the standardisation from log1p mel segments `[N, n_mels, frames]` of the collection."""
        level = self.to_level(mel)
        self.level_centre.copy_(level.mean(dim=(0, 2))[:, None])
        self.level_spread.copy_(level.std().clamp_min(1e-3))

    def to_level(self, mel: torch.Tensor) -> torch.Tensor:
        """log1p mel -> the level scale the network works in (same shape, silence = 0)."""
        floor = self.config.level_floor
        return mel if floor is None else torch.log1p(torch.expm1(mel).clamp_min(0.0) / floor)

    def from_level(self, level: torch.Tensor) -> torch.Tensor:
        """The level scale -> log1p mel (inverse of `to_level`)."""
        floor = self.config.level_floor
        return level if floor is None else torch.log1p(torch.expm1(level) * floor)

    def standardise(self, level: torch.Tensor) -> torch.Tensor:
        """The level scale -> what the networks see: centred per band, unit spread."""
        if self.config.level_floor is None:
            return level
        return (level - self.level_centre) / self.level_spread

    def encode(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """log1p mel `[B, n_mels, frames] -> (mu, logvar)`, each `[B, latent_dim]`."""
        level = self.standardise(self.to_level(mel))
        mu, logvar = self.to_stats(self.encoder(level[:, None])).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode_level(self, z: torch.Tensor) -> torch.Tensor:
        """`[B, latent_dim] -> [B, n_mels, frames]` in the level scale, non-negative."""
        x = self.from_latent(z).view(-1, *self.config.bottleneck)
        out = self.head(self.decoder(x))[:, 0]
        if self.config.level_floor is not None:
            out = self.level_centre + self.level_spread * out
        return nn.functional.softplus(out)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """`[B, latent_dim] -> [B, n_mels, frames]` log1p mel."""
        return self.from_level(self.decode_level(z))

    def decoder_parameters(self) -> list[nn.Parameter]:
        """What the decoder learns; the encoder's are the rest."""
        return [*self.from_latent.parameters(), *self.decoder.parameters(), *self.head.parameters()]

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction in the level scale, mu, logvar; samples the posterior while training."""
        mu, logvar = self.encode(mel)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return self.decode_level(z), mu, logvar


def build_vae(model: Any, device: torch.device | str = "cpu") -> VAE:
    """The VAE of a `DistillModel`, weights loaded, in eval mode."""
    vae = VAE(VAEConfig.from_dict(model.vae_config))
    vae.load_state_dict(model.vae_state_dict)
    return vae.to(device).eval()
