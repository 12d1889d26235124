"""The model library: every `.distill` file in the models folder, found by name, id or path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill.errors import DistillError
from distill.models.format import SUFFIX, DistillModel, load_model
from distill.paths import models_dir


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
