"""One VAE training run over mel segments: epochs, augmentation, held-out validation."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from distill.models.losses import vae_loss
from distill.models.vae import VAE
from distill.training.presets import TrainingPreset


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    val_loss: float | None
    recon: float
    kl: float


@dataclass
class TrainingState:
    """Everything needed to continue a run exactly where it stopped."""

    vae: VAE
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    epoch: int = 0
    history: list[EpochStats] = field(default_factory=list)


def split_by_recording(owners: torch.Tensor, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Train/validation segment indices, split by recording so no file is on both sides.

    With fewer than five recordings there is nothing to spare: validation is empty.
    """
    recordings = int(owners.max()) + 1
    held = round(recordings * fraction) if recordings >= 5 else 0
    order = torch.randperm(recordings, generator=torch.Generator().manual_seed(seed))
    is_val = torch.isin(owners, order[:held])
    return (~is_val).nonzero().flatten(), is_val.nonzero().flatten()


def augment(batch: torch.Tensor, slack: torch.Tensor, preset: TrainingPreset, g: torch.Generator) -> torch.Tensor:
    """Random gain (exact in the power domain), a random delay into each short recording's
    silent slack, and one masked mel band per example."""
    gain = 10 ** ((torch.rand(batch.shape[0], 1, 1, generator=g) * 2 - 1) * preset.gain_db / 10)
    out = torch.log1p(torch.expm1(batch) * gain)
    delays = (torch.rand(batch.shape[0], generator=g) * (slack + 1)).long()
    for i, delay in enumerate(delays.tolist()):
        if delay:
            out[i] = torch.nn.functional.pad(out[i, :, :-delay], (delay, 0))
    n_mels = batch.shape[1]
    for i in range(batch.shape[0]):
        if torch.rand(1, generator=g).item() < preset.mask_probability:
            width = int(torch.randint(1, max(2, n_mels // 16), (1,), generator=g))
            start = int(torch.randint(0, n_mels - width, (1,), generator=g))
            out[i, start : start + width] = 0.0
    return out


def beta_at(epoch: int, preset: TrainingPreset) -> float:
    warmup = max(1, math.ceil(preset.epochs * preset.warmup_fraction))
    return preset.beta * min(1.0, (epoch + 1) / warmup)


@torch.no_grad()
def evaluate(vae: VAE, segments: torch.Tensor, preset: TrainingPreset, beta: float) -> float | None:
    if segments.numel() == 0:
        return None
    vae.eval()
    total = 0.0
    for start in range(0, segments.shape[0], preset.batch_size):
        batch = segments[start : start + preset.batch_size]
        recon, mu, logvar = vae(batch)
        total += vae_loss(recon, batch, mu, logvar, beta)[0].item() * batch.shape[0]
    return total / segments.shape[0]


def run_epoch(
    state: TrainingState,
    train: torch.Tensor,
    slack: torch.Tensor,
    val: torch.Tensor,
    preset: TrainingPreset,
    on_step: Callable[[int, int], None] | None = None,
) -> EpochStats:
    """Train one epoch on `train` (`slack`: each segment's silent tail), then score `val`."""
    vae, g = state.vae, state.generator
    beta = beta_at(state.epoch, preset)
    vae.train()
    order = torch.randperm(train.shape[0], generator=g)
    steps = math.ceil(train.shape[0] / preset.batch_size)
    sums = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
    for step in range(steps):
        picked = order[step * preset.batch_size : (step + 1) * preset.batch_size]
        target = augment(train[picked], slack[picked], preset, g)
        recon, mu, logvar = vae(target)
        loss, parts = vae_loss(recon, target, mu, logvar, beta)
        state.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        state.optimizer.step()
        sums["loss"] += loss.item()
        sums["recon"] += parts["recon"]
        sums["kl"] += parts["kl"]
        if on_step is not None:
            on_step(step + 1, steps)
    stats = EpochStats(
        epoch=state.epoch + 1,
        train_loss=sums["loss"] / steps,
        val_loss=evaluate(vae, val, preset, beta),
        recon=sums["recon"] / steps,
        kl=sums["kl"] / steps,
    )
    state.epoch += 1
    state.history.append(stats)
    return stats
