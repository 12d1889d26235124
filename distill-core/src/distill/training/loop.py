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


def split_held_out(owners: torch.Tensor, fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Train/validation segment indices such that no audio is on both sides.

    Five or more recordings: whole recordings are held out. Fewer (a handful of long
    recordings): the last `fraction` of each recording's segments, less the one at the
    boundary, which overlaps the last training segment. Recordings too short for
    that stay in training; with nothing to spare, validation is empty.
    """
    recordings = int(owners.max()) + 1
    if recordings >= 5:
        order = torch.randperm(recordings, generator=torch.Generator().manual_seed(seed))
        is_val = torch.isin(owners, order[: round(recordings * fraction)])
        return (~is_val).nonzero().flatten(), is_val.nonzero().flatten()
    train, val = [], []
    for recording in range(recordings):
        indices = (owners == recording).nonzero().flatten()
        held = round(len(indices) * fraction)
        if held < 2:
            train.append(indices)
            continue
        train.append(indices[: -held - 1])
        val.append(indices[-held:])
    empty = torch.zeros(0, dtype=torch.long)
    return torch.cat(train), torch.cat(val) if val else empty


def augment(batch: torch.Tensor, slack: torch.Tensor, preset: TrainingPreset, g: torch.Generator) -> torch.Tensor:
    """Random gain (exact in the power domain) and a random delay into each short
    recording's silent slack (texture mode only; one-shots have none)."""
    gain = 10 ** ((torch.rand(batch.shape[0], 1, 1, generator=g) * 2 - 1) * preset.gain_db / 10)
    out = torch.log1p(torch.expm1(batch) * gain)
    delays = (torch.rand(batch.shape[0], generator=g) * (slack + 1)).long()
    for i, delay in enumerate(delays.tolist()):
        if delay:
            out[i] = torch.nn.functional.pad(out[i, :, :-delay], (delay, 0))
    return out


def progress_at(state: TrainingState, preset: TrainingPreset, step: int, steps: int) -> float:
    """Share of the whole run done, 0-1, at `step` of the current epoch."""
    return (state.epoch + step / steps) / preset.epochs


def beta_at(done: float, preset: TrainingPreset) -> float:
    """The KL weight ramps up over the first `warmup_fraction` of the run."""
    return preset.beta * min(1.0, done / max(preset.warmup_fraction, 1e-9))


def learning_rate_at(done: float, preset: TrainingPreset) -> float:
    """Cosine decay to a tenth of the preset's rate: big steps early, fine ones at the end."""
    return preset.learning_rate * (0.1 + 0.45 * (1 + math.cos(math.pi * min(done, 1.0))))


@torch.no_grad()
def evaluate(vae: VAE, segments: torch.Tensor, preset: TrainingPreset) -> float | None:
    """The loss on held-out segments (posterior means, full KL weight)."""
    if segments.numel() == 0:
        return None
    vae.eval()
    total = 0.0
    for start in range(0, segments.shape[0], preset.batch_size):
        batch = segments[start : start + preset.batch_size]
        recon, mu, logvar = vae(batch)
        total += (
            vae_loss(recon, vae.to_level(batch), mu, logvar, preset.beta, preset.free_bits)[0].item() * batch.shape[0]
        )
    return total / segments.shape[0]


def run_epoch(
    state: TrainingState,
    train: torch.Tensor,
    slack: torch.Tensor,
    val: torch.Tensor | None,
    preset: TrainingPreset,
    on_step: Callable[[int, int], None] | None = None,
) -> EpochStats:
    """Train one epoch on `train` (`slack`: each segment's silent tail), then score `val`
    (None: skip validation this epoch)."""
    vae, g = state.vae, state.generator
    vae.train()
    order = torch.randperm(train.shape[0], generator=g)
    steps = math.ceil(train.shape[0] / preset.batch_size)
    sums = {"loss": 0.0, "recon": 0.0, "kl": 0.0}
    for step in range(steps):
        done = progress_at(state, preset, step, steps)
        for group in state.optimizer.param_groups:
            group["lr"] = learning_rate_at(done, preset)
        picked = order[step * preset.batch_size : (step + 1) * preset.batch_size]
        target = augment(train[picked], slack[picked], preset, g)
        recon, mu, logvar = vae(target)
        loss, parts = vae_loss(recon, vae.to_level(target), mu, logvar, beta_at(done, preset), preset.free_bits)
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
        val_loss=evaluate(vae, val, preset) if val is not None else None,
        recon=sums["recon"] / steps,
        kl=sums["kl"] / steps,
    )
    state.epoch += 1
    state.history.append(stats)
    return stats
