"""The second training phase: the decoder alone, against a mel critic.

After the VAE has learned its latent space, its encoder is frozen and its decoder keeps
learning against `MelDiscriminator`: reconstructions must match their recordings (L1 and
the critic's features) and look real patch by patch, and so must decodings of latents
drawn the way generation draws them (near the collection's own sounds, see
`controls.latents`), which no reconstruction loss can reach. The latent space, and so
the sliders and anchors measured after this phase, do not move.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from distill.controls.latents import kernel_widths
from distill.models.diagnostics import posterior
from distill.models.discriminator import MelDiscriminator
from distill.models.losses import adversarial_loss, critic_loss, feature_matching_loss
from distill.models.vae import VAE
from distill.training.loop import augment
from distill.training.presets import TrainingPreset


@dataclass
class SharpenStats:
    step: int
    recon: float
    adversarial: float
    critic: float


def sharpen_steps(preset: TrainingPreset, segments: int) -> int:
    """The second phase's length: `preset.sharpen_share` of the first phase's steps."""
    return round(preset.sharpen_share * (preset.epochs or 0) * math.ceil(segments / preset.batch_size))


def sharpen_decoder(
    vae: VAE,
    train: torch.Tensor,
    preset: TrainingPreset,
    steps: int,
    seed: int,
    on_step: Callable[[int, int, SharpenStats | None], None] | None = None,
) -> list[SharpenStats]:
    """Train `vae`'s decoder against a critic on segments `train` for `steps` steps.

    Deterministic for a seed. `on_step(step, steps, stats)` is called after every step
    (stats every `steps // 20`), and may raise to stop.
    """
    if steps <= 0 or train.shape[0] < 2:
        return []
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    mu, logvar = posterior(vae, train)
    widths = kernel_widths((0.5 * logvar).exp(), mu.std(dim=0).clamp_min(1e-6))
    critic = MelDiscriminator().to(train.device)
    decoder_params = vae.decoder_parameters()
    for p in vae.parameters():
        p.requires_grad_(False)
    for p in decoder_params:
        p.requires_grad_(True)
    betas = (0.5, 0.9)
    opt_g = torch.optim.Adam(decoder_params, lr=preset.sharpen_learning_rate, betas=betas)
    opt_d = torch.optim.Adam(critic.parameters(), lr=preset.sharpen_learning_rate, betas=betas)
    batch = min(preset.batch_size, train.shape[0])
    history, every = [], max(1, steps // 20)
    vae.train()
    try:
        for step in range(steps):
            picked = torch.randint(0, train.shape[0], (batch,), generator=g)
            target = augment(train[picked], torch.zeros(batch, dtype=torch.long), preset, g)
            real = vae.standardise(vae.to_level(target))
            with torch.no_grad():
                z_mu, z_logvar = vae.encode(target)
                z = z_mu + torch.randn(z_mu.shape, generator=g) * (0.5 * z_logvar).exp()
                anchors = torch.randint(0, mu.shape[0], (batch,), generator=g)
                drawn = mu[anchors] + widths[anchors] * torch.randn(batch, mu.shape[1], generator=g)
            decoded = vae.standardise(vae.decode_level(torch.cat([z, drawn])))
            loss_d, real_features = _critic_step(critic, opt_d, real, decoded.detach(), batch, preset.generated_weight)
            fake_out = critic(decoded)
            rec = (decoded[:batch] - real).abs().mean()
            fm = feature_matching_loss(real_features, [[x[:batch] for x in f] for _, f in fake_out])
            adv = adversarial_loss([s[:batch] for s, _ in fake_out])
            adv_gen = adversarial_loss([s[batch:] for s, _ in fake_out])
            loss_g = preset.recon_weight * rec + preset.feature_weight * fm + adv + preset.generated_weight * adv_gen
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            torch.nn.utils.clip_grad_norm_(decoder_params, 1.0)
            opt_g.step()
            stats = None
            if (step + 1) % every == 0 or step + 1 == steps:
                stats = SharpenStats(step + 1, rec.item(), (adv + adv_gen).item(), loss_d)
                history.append(stats)
            if on_step is not None:
                on_step(step + 1, steps, stats)
    finally:
        for p in vae.parameters():
            p.requires_grad_(True)
        vae.eval()
    return history


def _critic_step(
    critic: MelDiscriminator,
    optimizer: torch.optim.Optimizer,
    real: torch.Tensor,
    decoded: torch.Tensor,
    batch: int,
    generated_weight: float,
) -> tuple[float, list[list[torch.Tensor]]]:
    """One update of the critic: `real` against reconstructions (`decoded[:batch]`) and generated decodings.

    Also returns the critic's features of `real` (before the update, detached): the
    decoder's feature-matching targets, so the critic need not see `real` twice a step.
    """
    real_out = critic(real)
    real_scores = [s for s, _ in real_out]
    fake_scores = [s for s, _ in critic(decoded)]
    loss = critic_loss(real_scores, [s[:batch] for s in fake_scores]) + generated_weight * critic_loss(
        real_scores, [s[batch:] for s in fake_scores]
    )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.item(), [[f.detach() for f in features] for _, features in real_out]
