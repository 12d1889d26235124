"""Saved slider settings, per model: one JSON file per model in the presets folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from distill.errors import DistillError
from distill.fileio import write_text_atomic
from distill.models.format import DistillModel, now_iso
from distill.paths import presets_dir


def _file(model: DistillModel) -> Path:
    return presets_dir() / f"{model.id}.json"


def _read(model: DistillModel) -> dict[str, Any]:
    path = _file(model)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"model": model.name, "presets": {}}


def list_presets(model: DistillModel) -> dict[str, dict[str, Any]]:
    """Preset name -> {"sliders": {index: value}, "created": ...}."""
    return _read(model)["presets"]


def save_preset(model: DistillModel, name: str, sliders: dict[int, float]) -> dict[str, Any]:
    if not name.strip():
        raise DistillError("A preset needs a name.")
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
    load_preset(model, name)
    data = _read(model)
    del data["presets"][name]
    write_text_atomic(_file(model), json.dumps(data, indent=2))
