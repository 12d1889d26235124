"""Where Distill keeps its files (DESIGN §6): `$DISTILL_HOME`, else the platform's data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The root of everything Distill stores; created on first use."""
    root = os.environ.get("DISTILL_HOME")
    path = Path(root).expanduser() if root else Path(platformdirs.user_data_dir("distill", appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _subdir(name: str) -> Path:
    path = data_dir() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def models_dir() -> Path:
    """`.distill` files and the catalog."""
    return _subdir("models")


def vocoders_dir() -> Path:
    """Downloaded or hand-placed vocoder weights, one folder per checkpoint."""
    return _subdir("vocoders")


def generated_dir() -> Path:
    """Default output folder of `distill generate`."""
    return _subdir("generated")


def presets_dir() -> Path:
    """Saved slider settings, one file per model."""
    return _subdir("presets")


def history_dir() -> Path:
    """One record per generation, for `distill history`."""
    return _subdir("history")


def collections_dir() -> Path:
    """Recordings uploaded through the UI, one folder per collection."""
    return _subdir("collections")
