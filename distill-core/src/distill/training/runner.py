"""A whole training run: load and check the collection, train with checkpoints, analyse, save.

Each epoch ends with an atomic checkpoint, so Ctrl-C loses at most the epoch in flight
and `resume=True` continues bit-for-bit where the last checkpoint left off.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import torch

from distill.audio.spectrogram import SpectrogramConfig
from distill.controls.analysis import analyse_latents
from distill.data.segmenting import collection_segments
from distill.data.validation import load_collection
from distill.errors import DistillError
from distill.fileio import atomic_path
from distill.models.format import SUFFIX, DistillModel, save_model
from distill.models.vae import VAE, VAEConfig
from distill.paths import data_dir, models_dir
from distill.training.loop import EpochStats, TrainingState, run_epoch, split_by_recording
from distill.training.presets import TrainingPreset, choose_preset
from distill.vocoders.types import Progress, ProgressCallback, ShouldStop, TrainingCancelled

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$")


class _StopRequested(Exception):
    """Raised between steps when `should_stop` says so; handled exactly like Ctrl-C."""


def model_path(name: str) -> Path:
    if not NAME_PATTERN.match(name):
        raise DistillError(
            f"Model name '{name}' is not allowed; use up to 64 letters, digits, spaces, '.', '_' or '-'."
        )
    return models_dir() / f"{name}{SUFFIX}"


def run_dir(name: str) -> Path:
    return data_dir() / "runs" / name


def _save_checkpoint(path: Path, state: TrainingState, preset: TrainingPreset) -> None:
    payload = {
        "epoch": state.epoch,
        "preset": preset.to_dict(),
        "vae": state.vae.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "generator": state.generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "history": [asdict(h) for h in state.history],
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def _restore(path: Path, state: TrainingState) -> None:
    if not path.is_file():
        raise DistillError(f"Nothing to resume: no checkpoint at {path}.")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    state.vae.load_state_dict(payload["vae"])
    state.optimizer.load_state_dict(payload["optimizer"])
    state.generator.set_state(payload["generator"])
    torch.set_rng_state(payload["torch_rng"])
    state.epoch = payload["epoch"]
    state.history = [EpochStats(**h) for h in payload["history"]]


def train_model(
    data_path: Path,
    name: str,
    *,
    epochs: int | None = None,
    preset: str = "auto",
    device: torch.device | str = "cpu",
    resume: bool = False,
    overwrite: bool = False,
    progress: ProgressCallback | None = None,
    vae_config: VAEConfig | None = None,
    spectrogram: SpectrogramConfig | None = None,
    should_stop: ShouldStop | None = None,
) -> DistillModel:
    """Train a model on the folder `data_path` and save it as `models_dir()/NAME.distill`.

    `should_stop` is a stop button asked after every step; pressing it, like Ctrl-C, ends
    the run with `TrainingCancelled` and keeps the last finished epoch's checkpoint.
    """
    target = model_path(name)
    if target.exists() and not (overwrite or resume):
        raise DistillError(f"A model called '{name}' already exists; pick another name or pass --force.")
    config = spectrogram or SpectrogramConfig()
    collection = load_collection(Path(data_path), config.sample_rate)
    chosen = choose_preset(preset, len(collection.files), epochs)
    arch = vae_config or VAEConfig(**{**chosen.vae.to_dict(), "n_mels": config.n_mels})
    segments, owners, slack = collection_segments(collection.waveforms, config, arch.segment_frames)
    train_idx, val_idx = split_by_recording(owners, chosen.validation_fraction, chosen.seed)
    device = torch.device(device)
    train, val = segments[train_idx].to(device), segments[val_idx].to(device)

    torch.manual_seed(chosen.seed)
    vae = VAE(arch).to(device)
    optimizer = torch.optim.AdamW(vae.parameters(), lr=chosen.learning_rate, weight_decay=chosen.weight_decay)
    state = TrainingState(vae, optimizer, torch.Generator().manual_seed(chosen.seed))
    checkpoint = run_dir(name) / "checkpoint.pt"
    if resume:
        _restore(checkpoint, state)

    def report(stats: EpochStats | None, step: int = 0, steps: int = 1) -> None:
        if progress is None:
            return
        metrics = {} if stats is None else {"loss": stats.train_loss, "recon": stats.recon, "kl": stats.kl}
        if stats is not None and stats.val_loss is not None:
            metrics["val_loss"] = stats.val_loss
        completed = state.epoch + (step / steps if stats is None else 0)
        progress(Progress("train", completed, chosen.epochs, f"epoch {state.epoch}/{chosen.epochs}", metrics))

    def on_step(step: int, steps: int) -> None:
        if should_stop is not None and should_stop():
            raise _StopRequested
        report(None, step, steps)

    try:
        while state.epoch < chosen.epochs:
            stats = run_epoch(state, train, slack[train_idx], val, chosen, on_step=on_step)
            _save_checkpoint(checkpoint, state, chosen)
            report(stats)
    except (KeyboardInterrupt, _StopRequested):
        then = (
            "its checkpoint is kept, resume to continue (--resume on the command line)"
            if checkpoint.is_file()
            else "no epoch had finished, so there is nothing to resume"
        )
        raise TrainingCancelled(f"Training of '{name}' stopped after epoch {state.epoch}; {then}.") from None

    vae.eval().cpu()
    analysis = analyse_latents(vae, segments, config)
    last = state.history[-1] if state.history else None
    model = DistillModel(
        name=name,
        vae_config=arch.to_dict(),
        vae_state_dict={k: v.detach().cpu() for k, v in vae.state_dict().items()},
        spectrogram=config,
        latent_analysis=analysis.to_dict(),
        training_config=chosen.to_dict(),
        metadata={
            "dataset": collection.summary(),
            "epochs": state.epoch,
            "train_loss": last.train_loss if last else None,
            "val_loss": last.val_loss if last else None,
            "segments": {"train": len(train_idx), "validation": len(val_idx)},
        },
    )
    save_model(model, target)
    checkpoint.unlink(missing_ok=True)
    return model
