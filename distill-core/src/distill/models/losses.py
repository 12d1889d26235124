"""VAE objective: reconstruction in the VAE's level scale plus a KL term with free bits.

Both terms are per segment, in nats-like units: the reconstruction is an L1 *summed* over
every bin of a segment (a Laplace log-likelihood), the KL is summed over latent
dimensions. Averaging the reconstruction over 16,384 bins while summing the KL (as v0.2
did) makes the KL weight thousands of times heavier than it reads, and the cheapest
solution is then to ignore the input and decode silence: posterior collapse.
"""

from __future__ import annotations

import torch


def reconstruction_loss(recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 summed over the bins of each segment `[B, n_mels, frames]`, averaged over the batch."""
    return (recon - target).abs().flatten(1).sum(dim=1).mean()


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) of each latent dimension `[latent_dim]`, averaged over the batch."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(dim=0)


def vae_loss(
    recon: torch.Tensor,
    target: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float,
    free_bits: float = 0.0,
) -> tuple[torch.Tensor, dict[str, float]]:
    """Total loss per bin, and its parts for progress reporting.

    Free bits (Kingma et al. 2016): a dimension's KL below `free_bits` nats is not
    penalised, so no dimension is pushed all the way to the prior and switched off. The
    total is divided by the bins per segment only to keep the optimiser's step size
    independent of the segment size; the balance of the two terms is unaffected.
    """
    rec = reconstruction_loss(recon, target)
    kl = kl_per_dimension(mu, logvar)
    total = (rec + beta * kl.clamp_min(free_bits).sum()) / recon[0].numel()
    return total, {"recon": rec.item() / recon[0].numel(), "kl": kl.sum().item()}


def critic_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """Least-squares GAN loss of the critics (Mao et al. 2017): real patches to 1, decoded ones to 0."""
    return sum(((r - 1).pow(2).mean() + f.pow(2).mean() for r, f in zip(real, fake, strict=True)), torch.zeros(()))


def adversarial_loss(fake: list[torch.Tensor]) -> torch.Tensor:
    """The decoder's side of the least-squares GAN loss: decoded patches scored as real."""
    return sum(((f - 1).pow(2).mean() for f in fake), torch.zeros(()))


def feature_matching_loss(real: list[list[torch.Tensor]], fake: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between the critics' features of a real mel and of its reconstruction (Larsen et al. 2016)."""
    pairs = [(r, f) for rs, fs in zip(real, fake, strict=True) for r, f in zip(rs, fs, strict=True)]
    return sum(((r.detach() - f).abs().mean() for r, f in pairs), torch.zeros(())) / len(pairs)
