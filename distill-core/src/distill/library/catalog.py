"""The model library: every `.distill` file in the models folder, found by name, id or path."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distill.data.segmenting import generation_mode
from distill.errors import DistillError
from distill.fileio import visible_files
from distill.library.model_files import model_lock, model_path, unchanged_model_file
from distill.models.diagnostics import model_health
from distill.models.format import SUFFIX, DistillModel, load_model, new_id, read_model_header, save_model
from distill.names import is_safe_name, shown
from distill.paths import models_dir
from distill.vocoders.verdict import is_stale, read_verdict, verdict_summary

log = logging.getLogger(__name__)


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
    verdict = read_verdict(model)
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
        "vocoder_evaluation": verdict,
        "vocoder_stale": verdict is not None and is_stale(model, verdict),
        "vocoder_verdict": verdict_summary(model),
    }


@dataclass
class LibraryScan:
    """The library's models (read without their weights), and each model file that cannot be used, with why."""

    models: list[DistillModel] = field(default_factory=list)
    unreadable: list[tuple[Path, str]] = field(default_factory=list)


def scan_library() -> LibraryScan:
    """Every `.distill` file in the models folder; one bad file never takes the others down.

    Files are read for their header only (`read_model_header`): listing never reads
    weights. Ids are made unique on the way (`_separate_copies`), so an id names one file.
    """
    scan = LibraryScan()
    for path in visible_files(models_dir(), SUFFIX):
        try:
            scan.models.append(read_model_header(path))
        except DistillError as exc:
            scan.unreadable.append((path, str(exc)))
    _separate_copies(scan)
    return scan


def _original(models: list[DistillModel]) -> DistillModel:
    """Of files sharing an id, the one that keeps it: at its own name's place in the library, else the oldest."""
    return min(models, key=lambda m: (m.path.stem != m.name, m.identity[3] if m.identity else 0))


def _separate_copies(scan: LibraryScan) -> None:
    """A file copied within the library (`cp base.distill base-backup.distill`) shares its original's id.

    The copy gets an id of its own, and the name its file has when that is a free, safe
    name, written into it once; a copy that cannot be rewritten (read-only, in use) is
    left out of the list with the reason, so no id ever names two files.
    """
    by_id: dict[str, list[DistillModel]] = {}
    for model in scan.models:
        by_id.setdefault(model.id, []).append(model)
    names = {m.name for m in scan.models}
    for models in (group for group in by_id.values() if len(group) > 1):
        original = _original(models)
        for copy in (m for m in models if m is not original):
            scan.models.remove(copy)
            try:
                separated = _give_own_identity(copy, names)
            except DistillError as exc:
                reason = f"{copy.path} is a copy of {original.path} and could not be given an id of its own ({exc})"
                scan.unreadable.append((copy.path, reason))
                continue
            names.add(separated.name)
            scan.models.append(separated)
            log.warning(
                "%s had the id of %s; it is now model '%s', id %s.",
                copy.path,
                original.path,
                separated.name,
                separated.id,
            )


def _give_own_identity(copy: DistillModel, taken: set[str]) -> DistillModel:
    model = load_model(copy.path)
    refusal = "it changed while being read"
    with unchanged_model_file(model, refusal) as path:
        model.id = new_id()
        if is_safe_name(path.stem) and path.stem not in taken and not path.stem.lower().endswith(SUFFIX):
            model.name = path.stem
        save_model(model, path)
    return read_model_header(path)


def _library_models() -> list[DistillModel]:
    return scan_library().models


def list_models() -> list[ModelSummary]:
    return [ModelSummary.of(m) for m in _library_models()]


def resolve_model(ref: str) -> DistillModel:
    """A model by path, exact name, exact id or unique id prefix, read whole (weights checked).

    A name that several files carry (a copy made outside Distill) is refused with their
    paths rather than guessed.
    """
    path = Path(ref).expanduser()
    if path.is_file():
        return load_model(path)
    scan = scan_library()
    models = scan.models
    if path.suffix == SUFFIX and not any(ref == m.name for m in models):
        return load_model(path)  # "Model file not found: ..."
    named = [m for m in models if m.name == ref]
    if len(named) > 1:
        files = " and ".join(f"{m.path} (id {m.id})" for m in named)
        raise DistillError(f"Several model files are called '{ref}': {files}; give the id or path of the one you mean.")
    matches = (
        named or [m for m in models if m.id == ref] or [m for m in models if len(ref) >= 4 and m.id.startswith(ref)]
    )
    if len(matches) == 1:
        return load_model(matches[0].path)
    for unusable, reason in scan.unreadable:
        if unusable.stem == ref:  # its file is there but damaged: say why, not "unknown"
            raise DistillError(reason)
    names = ", ".join(m.name for m in models) or "none yet; train one with `distill train`"
    raise DistillError(f"Unknown model {shown(ref)}; available models: {names}.")


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
