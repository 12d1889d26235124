"""The model library: every `.distill` file in the models folder, found by name, id or path."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill.data.segmenting import generation_mode
from distill.errors import DistillError
from distill.fileio import visible_files
from distill.library.model_files import model_lock, model_path, unchanged_model_file
from distill.models.diagnostics import model_health
from distill.models.format import SUFFIX, DistillModel, load_model, save_model
from distill.paths import models_dir
from distill.vocoders.verdict import read_verdict, verdict_summary


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
        "resemblance": model.metadata.get("resemblance"),
        "training": {k: model.metadata.get(k) for k in ("epochs", "train_loss", "val_loss")},
        "vocoder_config": model.vocoder_config if model.vocoder_state_dict is not None else None,
        "vocoder_evaluation": read_verdict(model),
        "vocoder_verdict": verdict_summary(model),
    }


@dataclass
class LibraryScan:
    """The library's models, and every model file that could not be used, with the reason."""

    models: list[DistillModel] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


def scan_library() -> LibraryScan:
    """Every `.distill` file in the models folder; one bad file never takes the others down."""
    scan = LibraryScan()
    for path in visible_files(models_dir(), SUFFIX):
        try:
            scan.models.append(load_model(path))
        except DistillError as exc:
            scan.unreadable.append((path, str(exc)))
    return scan


def _library_models() -> list[DistillModel]:
    return scan_library().models


def list_models() -> list[ModelSummary]:
    return [ModelSummary.of(m) for m in _library_models()]


def describe_library() -> list[dict[str, Any]]:
    """`describe_model` of every readable model in the library."""
    return [describe_model(m) for m in _library_models()]


def resolve_model(ref: str) -> DistillModel:
    """A model by path, exact name, exact id or unique id prefix."""
    path = Path(ref).expanduser()
    if path.is_file():
        return load_model(path)
    scan = scan_library()
    models = scan.models
    if path.suffix == SUFFIX and not any(ref == m.name for m in models):
        return load_model(path)  # "Model file not found: ..."
    for model in models:
        if ref in (model.name, model.id):
            return model
    matches = [m for m in models if len(ref) >= 4 and m.id.startswith(ref)]
    if len(matches) == 1:
        return matches[0]
    for unusable, reason in scan.unreadable:
        if unusable.stem == ref:  # its file is there but damaged: say why, not "unknown"
            raise DistillError(reason)
    names = ", ".join(m.name for m in models) or "none yet; train one with `distill train`"
    raise DistillError(f"Unknown model '{ref}'; available models: {names}.")


def delete_model(ref: str | DistillModel) -> DistillModel:
    """Remove a model from the library; returns what was deleted.

    Refused while another process trains or rewrites it, and if the file changed since it
    was read (a retrain replaced it), so a confirmation never deletes a model it did not show.
    """
    model = resolve_model(ref) if isinstance(ref, str) else ref
    if model.path is not None:
        refusal = f"The model file {model.path} changed while it was being deleted; nothing was deleted."
        with unchanged_model_file(model, refusal, wait=0) as path:
            path.unlink(missing_ok=True)
    return model


def rename_model(ref: str, new_name: str) -> DistillModel:
    """Give a library model a new name: written under the new name first, then the old file goes.

    Its id stays, so its presets and its vocoder's training runs stay with it.
    """
    model = resolve_model(ref)
    target = model_path(new_name)
    old = model.path
    if old is None or old.parent.resolve() != models_dir().resolve():
        raise DistillError(f"Only models in the library can be renamed; '{ref}' is outside {models_dir()}.")
    if new_name == model.name:
        return model
    refusal = f"The model file {old} changed while it was being renamed; nothing was renamed."
    with unchanged_model_file(model, refusal, wait=0), model_lock(target, wait=0):
        if target.exists():
            raise DistillError(f"A model called '{new_name}' already exists; pick another name.")
        model.name = new_name
        save_model(model, target)
        if old.resolve() != target.resolve():
            old.unlink(missing_ok=True)
    return model
