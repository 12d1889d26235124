"""Per-model vocoder training from the core's side: find the model's audio, run the plugin,
bundle the result into the model file atomically."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from distill.audio.io import READABLE_SUFFIXES
from distill.errors import DistillError
from distill.models.format import DistillModel, load_model, save_model
from distill.paths import data_dir
from distill.vocoders.evaluation import evaluate_vocoders, split_held_out
from distill.vocoders.registry import VocoderRegistry, describe_error, get_registry
from distill.vocoders.types import ProgressCallback, TrainingAudio, VocoderState, VocoderTrainingCancelled


def vocoder_run_dir(model: DistillModel) -> Path:
    """Checkpoints and previews of a model's vocoder training."""
    return data_dir() / "vocoder-runs" / model.id


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


def bundle_vocoder(model: DistillModel, state: VocoderState, evaluation: dict[str, Any] | None = None) -> DistillModel:
    """Store the trained vocoder (and its verdict) inside the model's own file; a failed write keeps the old file."""
    if model.path is None:
        raise DistillError(f"Model '{model.name}' has no file to store its vocoder in.")
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
) -> DistillModel:
    """Train vocoder plugin `name` on `dataset` minus its held-out recordings, judge it on those, bundle both.

    A cancel that keeps a checkpoint (`VocoderTrainingCancelled` carrying the state so
    far) is bundled and judged the same way before the cancel goes on up.
    """
    registry = registry or get_registry()
    check_trainable(name, registry)
    train_set, held_out = split_held_out(dataset)
    cancelled: VocoderTrainingCancelled | None = None
    try:
        state = registry.call(
            name, "train_vocoder", name=name, model=model, dataset=train_set, config=config, progress=progress
        )
    except VocoderTrainingCancelled as exc:
        if exc.state is None or not is_main_process():
            raise
        state, cancelled = exc.state, exc
    except (DistillError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise DistillError(f"Training vocoder '{name}' failed ({describe_error(exc)}).") from exc
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
    bundle_vocoder(model, state, evaluation)
    if cancelled is not None:
        raise VocoderTrainingCancelled(
            f"{str(cancelled).rstrip('.')}; the vocoder so far is stored in the model: "
            f"{evaluation['summary'][:1].lower()}{evaluation['summary'][1:]}",
            state,
        ) from None
    return model


def initial_weights(source: str, name: str) -> dict:
    """Generator weights to warm-start from: another model's own vocoder, or a checkpoint file."""
    import torch

    from distill.library.catalog import resolve_model

    path = Path(source).expanduser()
    if path.is_file() and path.suffix != ".distill":
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise DistillError(f"{path} is not a readable vocoder checkpoint ({describe_error(exc)}).") from exc
        if not isinstance(state, dict) or "generator" not in state:
            raise DistillError(f"{path} holds no generator weights.")
        return state["generator"]
    donor = load_model(path) if path.is_file() else resolve_model(source)
    if donor.vocoder_type != name or donor.vocoder_state_dict is None:
        raise DistillError(f"Model '{donor.name}' has no {name} vocoder to start from.")
    return donor.vocoder_state_dict
