"""A convolutional VAE over fixed-length log-mel segments."""

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
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


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

    def encode(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """`[B, n_mels, frames] -> (mu, logvar)`, each `[B, latent_dim]`."""
        mu, logvar = self.to_stats(self.encoder(mel[:, None])).chunk(2, dim=-1)
        return mu, logvar.clamp(-12.0, 8.0)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """`[B, latent_dim] -> [B, n_mels, frames]`, non-negative like a log1p mel."""
        x = self.from_latent(z).view(-1, *self.config.bottleneck)
        return nn.functional.softplus(self.head(self.decoder(x)))[:, 0]

    def forward(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Reconstruction, mu, logvar; samples the posterior while training."""
        mu, logvar = self.encode(mel)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp() if self.training else mu
        return self.decode(z), mu, logvar


def build_vae(model: Any, device: torch.device | str = "cpu") -> VAE:
    """The VAE of a `DistillModel`, weights loaded, in eval mode."""
    vae = VAE(VAEConfig.from_dict(model.vae_config))
    vae.load_state_dict(model.vae_state_dict)
    return vae.to(device).eval()
