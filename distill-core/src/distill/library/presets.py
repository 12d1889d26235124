"""Saved slider settings, per model: one JSON file per model in the presets folder.

Saving and deleting read, change and rewrite that file under a lock, so processes saving
presets for the same model at once never lose one another's presets.
"""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from distill.documents import NotPlain, plain_json
from distill.errors import DistillError
from distill.fileio import file_lock, io_problem, write_text_atomic
from distill.models.format import DistillModel, now_iso
from distill.names import check_name
from distill.paths import presets_dir

SLIDER_INDEX = re.compile(r"[0-9]{1,4}")
MAX_FILE_BYTES = 1_000_000  # thousands of presets; a larger file is not one Distill wrote


def _file(model: DistillModel) -> Path:
    return presets_dir() / f"{check_name(model.id, 'Model id')}.json"


def _lock(model: DistillModel) -> AbstractContextManager[None]:
    message = f"The presets of model '{model.name}' are being changed by another process; try again."
    return file_lock(_file(model), message, wait=30.0)


def _valid(data: object) -> bool:
    """Presets of slider settings: each slider's index in plain digits ("²" is a digit to Python, not to `int`)."""
    if not isinstance(data, dict) or not isinstance(data.get("presets"), dict):
        return False
    for preset in data["presets"].values():
        sliders = preset.get("sliders") if isinstance(preset, dict) else None
        if not isinstance(sliders, dict):
            return False
        for index, value in sliders.items():
            if not (SLIDER_INDEX.fullmatch(index) and isinstance(value, int | float) and not isinstance(value, bool)):
                return False
    return True


def _read(model: DistillModel) -> dict[str, Any]:
    path = _file(model)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise NotPlain("too large")
        data = plain_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {"model": model.name, "presets": {}}
    except OSError as exc:
        raise DistillError(f"Cannot read the presets file {path}: {io_problem(exc)}.") from exc
    except (NotPlain, UnicodeDecodeError):
        data = None
    if not _valid(data):
        raise DistillError(
            f"The presets file of model '{model.name}' ({path}) is damaged; fix or delete it to save presets again."
        )
    return data


def list_presets(model: DistillModel) -> dict[str, dict[str, Any]]:
    """Preset name -> {"sliders": {index: value}, "created": ...}."""
    return _read(model)["presets"]


def save_preset(model: DistillModel, name: str, sliders: dict[int, float]) -> dict[str, Any]:
    check_name(name, "Preset name")
    with _lock(model):
        data = _read(model)
        data["presets"][name] = {"sliders": {str(k): v for k, v in sorted(sliders.items())}, "created": now_iso()}
        write_text_atomic(_file(model), json.dumps(data, indent=2))
    return data["presets"][name]


def load_preset(model: DistillModel, name: str) -> dict[int, float]:
    presets = list_presets(model)
    if name not in presets:
        known = ", ".join(sorted(presets)) or "none saved yet"
        raise DistillError(f"Unknown preset '{name}' for model '{model.name}'; its presets: {known}.")
    return {int(k): float(v) for k, v in presets[name]["sliders"].items()}


def delete_preset(model: DistillModel, name: str) -> None:
    with _lock(model):
        data = _read(model)
        if name not in data["presets"]:
            load_preset(model, name)  # the "unknown preset" sentence
        del data["presets"][name]
        write_text_atomic(_file(model), json.dumps(data, indent=2))
