"""VAE objective: reconstruction in log-mel space plus a KL term annealed in."""

from __future__ import annotations

import torch


def reconstruction_loss(recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 on log1p mels: robust, and log compression already weights quiet detail."""
    return (recon - target).abs().mean()


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)), summed over latent dims, averaged over the batch."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)).mean()


def vae_loss(
    recon: torch.Tensor, target: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss and its parts for progress reporting."""
    rec = reconstruction_loss(recon, target)
    kl = kl_divergence(mu, logvar)
    return rec + beta * kl, {"recon": rec.item(), "kl": kl.item()}
