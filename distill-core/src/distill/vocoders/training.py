"""Per-model vocoder training from the core's side: find the model's audio, run the plugin,
bundle the result into the model file atomically."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from distill.audio.io import READABLE_SUFFIXES
from distill.errors import DistillError
from distill.fileio import file_identity
from distill.library.catalog import model_lock, resolve_model
from distill.models.format import DistillModel, load_model, save_model
from distill.paths import data_dir
from distill.vocoders.evaluation import evaluate_vocoders, split_held_out
from distill.vocoders.registry import PluginFailure, VocoderRegistry, describe_error, get_registry
from distill.vocoders.types import ProgressCallback, ShouldStop, TrainingAudio, TrainingCancelled, VocoderState


def vocoder_run_dir(model: DistillModel) -> Path:
    """Checkpoints and previews of a model's vocoder training."""
    return data_dir() / "vocoder-runs" / model.id


DEFAULT_STEPS = 2000
STOP_FILE = "stop"


def training_config(
    model: DistillModel,
    *,
    epochs: int | None = None,
    max_steps: int | None = None,
    recipe: str | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    segment_frames: int | None = None,
    warmup_steps: int | None = None,
    resume: bool = False,
    init_from: dict | None = None,
    device: str = "cpu",
    discriminator_width: int | None = None,
    preview_every: int | None = None,
) -> dict[str, Any]:
    """The `config` the `train_vocoder` hook gets, as the CLI and the UI both build it.

    Without `epochs` or `max_steps` the run is `DEFAULT_STEPS` steps long; options left at
    None are the plugin's recipe's. `stop_file` in the run folder is how a launcher of
    several processes asks them all to stop.
    """
    if epochs is not None and max_steps is not None:
        raise DistillError("Give either a number of epochs or of steps, not both.")
    run_dir = vocoder_run_dir(model)
    return {
        "run_dir": str(run_dir),
        "stop_file": str(run_dir / STOP_FILE),
        "epochs": epochs,
        "max_steps": max_steps if (max_steps or epochs) else DEFAULT_STEPS,
        "recipe": recipe,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "segment_frames": segment_frames,
        "warmup_steps": warmup_steps,
        "discriminator_width": discriminator_width,
        "resume": resume,
        "init_from": init_from,
        "device": device,
        "preview_every": preview_every,
    }


def latest_previews(model: DistillModel) -> tuple[Path | None, Path | None]:
    """The training run's original clip and its newest reconstruction, where they exist yet."""
    folder = vocoder_run_dir(model) / "previews"
    original = folder / "original.wav"
    steps = sorted(folder.glob("step*.wav"))
    return (original if original.is_file() else None), (steps[-1] if steps else None)


def model_training_audio(model: DistillModel, data: Path | None = None) -> TrainingAudio:
    """The recordings `model` was trained on: where it remembers them, or under `data` if they moved."""
    dataset = model.metadata.get("dataset") or {}
    files = dataset.get("files") or []
    root = Path(data) if data is not None else Path(dataset.get("root", ""))
    if data is not None and not root.is_dir():
        raise DistillError(f"Data folder not found: {root}.")
    paths = [root / f for f in files] if files else []
    if not files and data is not None:
        paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in READABLE_SUFFIXES)
    present = [p for p in paths if p.is_file()]
    if not present:
        where = dataset.get("root", "an unknown folder")
        raise DistillError(
            f"The recordings model '{model.name}' was trained on are no longer in {where}; "
            "point --data at the folder that holds them now."
        )
    return TrainingAudio(present, model.spectrogram.sample_rate, root)


def bundle_vocoder(
    model: DistillModel,
    state: VocoderState,
    evaluation: dict[str, Any] | None = None,
    kept_in: Path | None = None,
) -> DistillModel:
    """Store the trained vocoder (and its verdict) inside the model's own file; a failed write keeps the old file.

    Compare-and-swap under the model's lock: if the file is no longer the one `model` was
    read from (retrained, replaced or deleted meanwhile), nothing is written, so a
    retrained model is never reverted and a deleted one never comes back.
    """
    if model.path is None:
        raise DistillError(f"Model '{model.name}' has no file to store its vocoder in.")
    with model_lock(model.path):
        if model.identity is not None and file_identity(model.path) != model.identity:
            kept = f"; the trained vocoder's checkpoint is kept in {kept_in} (start from it with --init-from)"
            raise DistillError(
                f"Model '{model.name}' was retrained, replaced or deleted while its vocoder trained, so its file "
                f"was left as it is{kept if kept_in else ''}."
            )
        model.vocoder_type = state.vocoder_type
        model.vocoder_config = state.config
        model.vocoder_state_dict = state.state_dict
        model.vocoder_evaluation = evaluation
        save_model(model, model.path)
    return model


def check_trainable(name: str, registry: VocoderRegistry | None = None) -> None:
    """One sentence unless plugin `name` is installed, working and able to learn per model."""
    registry = registry or get_registry()
    record = registry.record(name)
    if record is None or record.status != "ok":
        raise DistillError(f"Vocoder '{name}' is not installed (or broken), so it cannot be trained.")
    if not registry.implements(name, "train_vocoder"):
        raise DistillError(f"Vocoder '{name}' cannot be trained per model; only plugins that learn can.")


def is_main_process() -> bool:
    """False in the non-zero ranks of a `torchrun` job: they train but never write the model file."""
    return int(os.environ.get("RANK", "0")) == 0


def train_model_vocoder(
    model: DistillModel,
    name: str,
    dataset: TrainingAudio,
    config: dict[str, Any],
    progress: ProgressCallback | None = None,
    registry: VocoderRegistry | None = None,
    should_stop: ShouldStop | None = None,
) -> DistillModel:
    """Train vocoder plugin `name` on `dataset` minus its held-out recordings, judge it on those, bundle both.

    A cancel that keeps a checkpoint (`TrainingCancelled` carrying the state so
    far) is bundled and judged the same way before the cancel goes on up.
    """
    registry = registry or get_registry()
    check_trainable(name, registry)
    train_set, held_out = split_held_out(dataset)
    cancelled: TrainingCancelled | None = None
    try:
        state = registry.call(
            name,
            "train_vocoder",
            name=name,
            model=model,
            dataset=train_set,
            config=config,
            progress=progress,
            should_stop=should_stop,
        )
    except PluginFailure as failure:
        original = failure.original
        if isinstance(original, TrainingCancelled) and original.state is not None and is_main_process():
            state, cancelled = original.state, original
        elif isinstance(original, DistillError):
            raise original from None
        else:
            raise DistillError(f"Training vocoder '{name}' failed ({failure}).") from failure
    if state is None:
        raise DistillError(f"Vocoder '{name}' returned no trained state.")
    if not is_main_process():
        return model
    trained = replace(
        model, vocoder_type=state.vocoder_type, vocoder_config=state.config, vocoder_state_dict=state.state_dict
    )
    evaluation = evaluate_vocoders(
        trained, held_out, config.get("device") or "cpu", registry=registry, training_steps=state.steps
    )
    bundle_vocoder(model, state, evaluation, Path(config["run_dir"]) if config.get("run_dir") else None)
    if cancelled is not None:
        raise TrainingCancelled(
            f"{str(cancelled).rstrip('.')}; the vocoder so far is stored in the model: "
            f"{evaluation['summary'][:1].lower()}{evaluation['summary'][1:]}",
            state,
        ) from None
    return model


def initial_weights(source: str, name: str) -> dict:
    """Generator weights to warm-start from: another model's own vocoder, or a checkpoint file."""
    import pickle

    import torch

    path = Path(source).expanduser()
    if path.is_file() and path.suffix != ".distill":
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as exc:
            raise DistillError(
                f"{path} holds more than plain weights (Python objects Distill will not run), "
                "so it cannot be used as a checkpoint."
            ) from exc
        except Exception as exc:
            raise DistillError(f"{path} is not a readable vocoder checkpoint ({describe_error(exc)}).") from exc
        if not isinstance(state, dict) or "generator" not in state:
            raise DistillError(f"{path} holds no generator weights.")
        return state["generator"]
    donor = load_model(path) if path.is_file() else resolve_model(source)
    if donor.vocoder_type != name or donor.vocoder_state_dict is None:
        raise DistillError(f"Model '{donor.name}' has no {name} vocoder to start from.")
    return donor.vocoder_state_dict
