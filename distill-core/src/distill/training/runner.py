"""A whole training run: load and check the collection, train with checkpoints, check the
model is alive, analyse, save.

Ctrl-C (or a stop button) loses at most the epoch in flight, and `resume=True`
continues bit-for-bit from the last finished epoch (see `training/checkpoint.py`). A run
on the preset's budget whose latent went unused is retried once with a weaker KL weight
(a run of a fixed `--epochs` is not: it may simply be too short); a model that is still
collapsed or not learned never replaces a healthy one and is never saved as if it were fine.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from distill.audio.resemblance import collection_features
from distill.audio.spectrogram import SpectrogramConfig
from distill.controls.analysis import analyse_latents
from distill.data.segmenting import TEXTURE, choose_layout, collection_segments
from distill.data.validation import load_collection
from distill.errors import DistillError
from distill.library.model_files import model_lock, model_path
from distill.models.diagnostics import Diagnostics, diagnose, unhealthy_consequence
from distill.models.format import DistillModel, load_model, save_model
from distill.models.vae import VAE, VAEConfig
from distill.names import check_name
from distill.paths import data_dir
from distill.progress import Progress, ProgressCallback, ShouldStop, TrainingCancelled
from distill.training import checkpoint
from distill.training.adversarial import SharpenStats, sharpen_decoder, sharpen_steps
from distill.training.loop import EpochStats, TrainingState, run_epoch, split_held_out
from distill.training.presets import TrainingPreset, choose_preset

log = logging.getLogger(__name__)

MEASUREMENTS = 40  # times per run the held-out figures are measured, charted and checkpointed
LEVEL_FLOOR_DB = -60.0  # the VAE's level scale reaches this far below a typical recording's peak


Assessor = Callable[[DistillModel, torch.Tensor], dict[str, Any] | None]


class _StopRequested(Exception):
    """Raised between steps when `should_stop` says so; handled exactly like Ctrl-C."""


def run_dir(name: str) -> Path:
    return data_dir() / "runs" / check_name(name, "Model name")


def level_floor(segments: torch.Tensor, owners: torch.Tensor) -> float:
    """The mel power the VAE treats as silence: 60 dB under a typical recording's loudest bin.

    Relative to the collection, so a quiet field recording gets as much resolution
    below its peak as a drum kit normalised to 0 dBFS.
    """
    peaks = torch.expm1(segments.flatten(1).amax(dim=1))
    per_recording = torch.zeros(int(owners.max()) + 1).scatter_reduce(0, owners, peaks, "amax")
    floor = float(per_recording.median()) * 10 ** (LEVEL_FLOOR_DB / 10)
    return min(max(floor, 1e-6), 1.0)


def safer(preset: TrainingPreset) -> TrainingPreset:
    """The setting a collapsed run is retried with: a tenth of the KL weight, more free bits."""
    return replace(preset, beta=preset.beta / 10, free_bits=max(preset.free_bits * 5, 0.5))


def _check_finite(stats: EpochStats, name: str) -> None:
    """Stop before a diverged epoch is checkpointed: a NaN model is never saved."""
    if not math.isfinite(stats.train_loss):
        raise DistillError(
            f"Training of '{name}' diverged in epoch {stats.epoch} (the loss is not a number); nothing of that epoch "
            "was saved. Check the recordings for extreme levels, or train again with another --preset."
        )


def _remove_run_dir(folder: Path) -> None:
    """A finished run leaves no empty folders behind."""
    for empty in (folder, folder.parent):
        try:
            empty.rmdir()
        except OSError:
            return


def train_model(data_path: Path, name: str, **options: Any) -> DistillModel:
    """Train a model on the folder `data_path` and save it as `models_dir()/NAME.distill`.

    The name is held (a lock on its model file) for the whole run, so a second run of the
    same name, a delete or a vocoder's save fails at once with one sentence instead of
    one silently replacing the other. `options`: see `_train`.
    """
    with model_lock(model_path(name), wait=0):
        return _train(data_path, name, **options)


def _train(
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
    assess: Assessor | None = None,
) -> DistillModel:
    """The training run itself, with the name held.

    `should_stop` is a stop button asked after every step; pressing it, like Ctrl-C, ends
    the run with `TrainingCancelled` and keeps the last finished epoch's checkpoint.
    `vae_config` overrides the preset's architecture (its segment length included).
    `assess(model, collection_features)` scores how the finished model's generated sounds
    resemble its collection (`inference.assessment.assess`); its figures are saved with
    the model as `metadata["resemblance"]`.
    """
    target = model_path(name)
    if target.exists() and not (overwrite or resume):
        raise DistillError(f"A model called '{name}' already exists; pick another name or pass --force.")
    config = spectrogram or SpectrogramConfig()
    collection = load_collection(Path(data_path), config.sample_rate)
    base = choose_preset(preset, len(collection.files), epochs)
    layout = choose_layout([w.numel() for w in collection.waveforms], config, base.vae.segment_frames)
    if vae_config is not None:
        layout = replace(layout, segment_frames=vae_config.segment_frames)
    segments, owners, slack = collection_segments(collection.waveforms, config, layout.segment_frames, layout.mode)
    arch = vae_config or replace(
        base.vae, n_mels=config.n_mels, segment_frames=layout.segment_frames, level_floor=level_floor(segments, owners)
    )
    train_idx, val_idx = split_held_out(owners, base.validation_fraction, base.seed)
    device = torch.device(device)
    train, val = segments[train_idx].to(device), segments[val_idx].to(device)
    recordings = checkpoint.recordings(collection)
    reference = collection_features(collection.waveforms, config.sample_rate) if assess else None
    collection.waveforms.clear()  # the segments are all training needs: an hour of audio is 690 MB
    run = _Run(name, run_dir(name) / "checkpoint.pt", train, slack[train_idx].to(device), val, progress, should_stop)

    resumed = checkpoint.read(run.checkpoint) if resume else None
    attempt = resumed["attempt"] if resumed else 0
    chosen = base.for_collection(layout.segment_frames, len(train_idx))
    while True:
        attempt_preset = safer(chosen) if attempt else chosen
        if resumed is not None:
            checkpoint.check_fits(resumed, run.checkpoint, attempt_preset, recordings)
        vae, state = run.fit(arch, attempt_preset, attempt, resumed, recordings)
        diagnostics = diagnose(vae, train, val)
        # Only an unused latent is retried: a model that uses its latent but reconstructs held-out
        # recordings no better than silence (a small, varied collection) gains nothing from a weaker
        # KL weight, and a second run would double its training time.
        if not diagnostics.ignores_input or attempt or epochs is not None:
            break
        log.warning("Training of '%s' ended %s; retrying once with a weaker KL weight.", name, diagnostics.sentence())
        attempt, resumed = 1, None

    if not diagnostics.ignores_input:  # health is the first phase's: sharpening trades a little L1 for detail
        run.sharpen(vae, attempt_preset, attempt)
    vae.eval().cpu()
    analysis = analyse_latents(vae, segments, config, owners if layout.mode == TEXTURE else None)
    last = state.history[-1] if state.history else None
    model = DistillModel(
        name=name,
        vae_config=arch.to_dict(),
        vae_state_dict={k: v.detach().cpu() for k, v in vae.state_dict().items()},
        spectrogram=config,
        latent_analysis=analysis.to_dict(),
        training_config=attempt_preset.to_dict(),
        metadata={
            "dataset": collection.summary(),
            "layout": layout.to_dict(),
            "diagnostics": diagnostics.to_dict(),
            "epochs": state.epoch,
            "train_loss": last.train_loss if last else None,
            "val_loss": last.val_loss if last else None,
            "segments": {"train": len(train_idx), "validation": len(val_idx)},
        },
    )
    if assess is not None and reference is not None and not diagnostics.ignores_input:
        if progress is not None:
            progress(Progress("train", 0, None, "listening to what the model generates"))
        model.metadata["resemblance"] = assess(model, reference)
    if diagnostics.collapsed:
        _refuse_to_replace_a_healthy_model(target, name, diagnostics)
        log.warning(
            "Model '%s' is %s: %s. Check that the recordings are audible and varied, or train longer with --epochs.",
            name,
            diagnostics.sentence(),
            unhealthy_consequence(diagnostics.to_dict(), model.metadata.get("resemblance")),
        )
    save_model(model, target)
    run.checkpoint.unlink(missing_ok=True)
    _remove_run_dir(run.checkpoint.parent)
    return model


def _refuse_to_replace_a_healthy_model(target: Path, name: str, diagnostics: Diagnostics) -> None:
    if not target.exists():
        return
    try:
        previous = load_model(target).metadata.get("diagnostics")
    except DistillError:
        return
    if previous is not None and not previous.get("collapsed"):
        raise DistillError(
            f"Training of '{name}' ended {diagnostics.sentence()}, so it was not saved: the existing healthy model "
            f"'{name}' is kept."
        )


class _Run:
    """One collection's training data and the callbacks that watch the run."""

    def __init__(
        self,
        name: str,
        checkpoint_path: Path,
        train: torch.Tensor,
        slack: torch.Tensor,
        val: torch.Tensor,
        progress: ProgressCallback | None,
        should_stop: ShouldStop | None,
    ) -> None:
        self.name, self.checkpoint = name, checkpoint_path
        self.train, self.slack, self.val = train, slack, val
        self.progress, self.should_stop = progress, should_stop

    def fit(
        self,
        arch: VAEConfig,
        preset: TrainingPreset,
        attempt: int,
        resumed: dict[str, Any] | None,
        recordings: dict[str, Any],
    ) -> tuple[VAE, TrainingState]:
        """Train from scratch (or from `resumed`) to the preset's last epoch.

        A diverged epoch (non-finite loss) ends the run before it is snapshotted, so no
        checkpoint ever holds NaN weights.
        """
        torch.manual_seed(preset.seed + attempt)
        vae = VAE(arch).to(self.train.device)
        if arch.level_floor is not None:
            vae.fit_level_statistics(self.train)
        optimizer = torch.optim.AdamW(vae.parameters(), lr=preset.learning_rate, weight_decay=preset.weight_decay)
        state = TrainingState(vae, optimizer, torch.Generator().manual_seed(preset.seed + attempt))
        if resumed is not None:
            checkpoint.restore(resumed, state, self.checkpoint)

        def snap() -> dict[str, Any]:
            return checkpoint.snapshot(state, attempt, preset, recordings)

        last = snap() if state.epoch else None
        every = max(1, preset.epochs // MEASUREMENTS)
        try:
            while state.epoch < preset.epochs:
                measure = (state.epoch + 1) % every == 0 or state.epoch + 1 == preset.epochs
                stats = run_epoch(
                    state, self.train, self.slack, self.val if measure else None, preset, self._on_step(state, preset)
                )
                _check_finite(stats, self.name)
                last = snap()
                if measure:
                    checkpoint.write(self.checkpoint, last)
                    self._report(state, preset, stats, diagnose(vae, self.train, self.val))
        except (KeyboardInterrupt, _StopRequested):
            if last is not None:
                checkpoint.write(self.checkpoint, last)
            then = (
                "its checkpoint is kept, resume to continue (--resume on the command line)"
                if self.checkpoint.is_file()
                else "no epoch had finished, so there is nothing to resume"
            )
            raise TrainingCancelled(f"Training of '{self.name}' stopped after epoch {state.epoch}; {then}.") from None
        return vae, state

    def sharpen(self, vae: VAE, preset: TrainingPreset, attempt: int) -> None:
        """The second phase (`training.adversarial`); a stop keeps the first phase's checkpoint."""

        def on_step(step: int, steps: int, stats: SharpenStats | None) -> None:
            if self.should_stop is not None and self.should_stop():
                raise _StopRequested
            if self.progress is not None:
                metrics = {"sharpen_recon": stats.recon, "sharpen_adversarial": stats.adversarial} if stats else {}
                self.progress(Progress("train", step, steps, f"sharpening the decoder {step}/{steps}", metrics))

        try:
            steps = sharpen_steps(preset, self.train.shape[0])
            sharpen_decoder(vae, self.train, preset, steps, preset.seed + attempt, on_step)
        except (KeyboardInterrupt, _StopRequested):
            raise TrainingCancelled(
                f"Training of '{self.name}' stopped while sharpening its decoder; its checkpoint is kept, resume to "
                "continue (--resume on the command line)."
            ) from None

    def _on_step(self, state: TrainingState, preset: TrainingPreset):
        def on_step(step: int, steps: int) -> None:
            if self.should_stop is not None and self.should_stop():
                raise _StopRequested
            if self.progress is not None:
                completed = state.epoch + step / steps
                message = f"epoch {state.epoch + 1}/{preset.epochs}"
                self.progress(Progress("train", completed, preset.epochs, message))

        return on_step

    def _report(self, state: TrainingState, preset: TrainingPreset, stats: EpochStats, health: Diagnostics) -> None:
        if self.progress is None:
            return
        metrics = {"loss": stats.train_loss, "recon": stats.recon, "kl": stats.kl}
        if stats.val_loss is not None:
            metrics["val_loss"] = stats.val_loss
        metrics |= {
            "active_units": float(health.active_units),
            "heldout_l1" if health.held_out else "train_l1": health.recon,
            "mean_segment_l1": health.mean_baseline,
            "silence_l1": health.silence_baseline,
        }
        self.progress(Progress("train", state.epoch, preset.epochs, f"epoch {state.epoch}/{preset.epochs}", metrics))
