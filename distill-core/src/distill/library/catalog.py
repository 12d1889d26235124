"""The model library: every `.distill` file in the models folder, found by name, id or path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill.data.segmenting import generation_mode
from distill.errors import DistillError
from distill.models.diagnostics import model_health
from distill.models.format import SUFFIX, DistillModel, load_model, save_model
from distill.paths import models_dir
from distill.vocoders.evaluation import verdict_summary


@dataclass
class ModelSummary:
    """What `distill model list` shows: enough to pick a model without loading its weights twice."""

    name: str
    id: str
    path: str
    vocoder: str | None
    sliders: int
    created: str | None
    num_files: int | None

    @classmethod
    def of(cls, model: DistillModel) -> ModelSummary:
        dataset = model.metadata.get("dataset") or {}
        return cls(
            name=model.name,
            id=model.id,
            path=str(model.path),
            vocoder=model.vocoder_type if model.vocoder_state_dict is not None else None,
            sliders=len((model.latent_analysis or {}).get("sliders", [])),
            created=model.metadata.get("created"),
            num_files=dataset.get("num_files"),
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def describe_model(model: DistillModel) -> dict[str, Any]:
    """Everything about one model that `distill model info` and the UI's Library show."""
    return {
        **ModelSummary.of(model).to_dict(),
        "sliders": (model.latent_analysis or {}).get("sliders", []),
        "spectrogram": model.spectrogram.to_dict(),
        "dataset": model.metadata.get("dataset"),
        "mode": generation_mode(model),
        "layout": model.metadata.get("layout"),
        "health": model_health(model),
        "training": {k: model.metadata.get(k) for k in ("epochs", "train_loss", "val_loss")},
        "vocoder_config": model.vocoder_config if model.vocoder_state_dict is not None else None,
        "vocoder_evaluation": model.vocoder_evaluation if model.vocoder_state_dict is not None else None,
        "vocoder_verdict": verdict_summary(model),
    }


def _library_models() -> list[DistillModel]:
    """Every readable model in the library; unreadable files are left out, not fatal."""
    models = []
    for path in sorted(models_dir().glob(f"*{SUFFIX}")):
        try:
            models.append(load_model(path))
        except DistillError:
            continue
    return models


def list_models() -> list[ModelSummary]:
    return [ModelSummary.of(m) for m in _library_models()]


def describe_library() -> list[dict[str, Any]]:
    """`describe_model` of every readable model in the library."""
    return [describe_model(m) for m in _library_models()]


def resolve_model(ref: str) -> DistillModel:
    """A model by path, exact name, exact id or unique id prefix."""
    path = Path(ref).expanduser()
    if path.suffix == SUFFIX or path.is_file():
        return load_model(path)
    models = _library_models()
    for model in models:
        if ref in (model.name, model.id):
            return model
    matches = [m for m in models if len(ref) >= 4 and m.id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(m.name for m in models) or "none yet; train one with `distill train`"
    raise DistillError(f"Unknown model '{ref}'; available models: {names}.")


def delete_model(ref: str) -> DistillModel:
    """Remove a model from the library; returns what was deleted."""
    model = resolve_model(ref)
    if model.path is not None:
        model.path.unlink(missing_ok=True)
    return model


def rename_model(ref: str, new_name: str) -> DistillModel:
    """Give a library model a new name: written under the new name first, then the old file goes.

    Its id stays, so its presets and its vocoder's training runs stay with it.
    """
    from distill.training.runner import model_path

    model = resolve_model(ref)
    target = model_path(new_name)
    old = model.path
    if old is None or old.parent.resolve() != models_dir().resolve():
        raise DistillError(f"Only models in the library can be renamed; '{ref}' is outside {models_dir()}.")
    if new_name == model.name:
        return model
    if target.exists():
        raise DistillError(f"A model called '{new_name}' already exists; pick another name.")
    model.name = new_name
    save_model(model, target)
    if old.resolve() != target.resolve():
        old.unlink(missing_ok=True)
    return model
