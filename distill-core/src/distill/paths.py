"""Where Distill keeps its files: `$DISTILL_HOME`, else the platform's data dir (docs/architecture.md)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from distill.errors import DistillError


def _make_folder(path: Path) -> Path:
    """`path` as an existing folder; one sentence if it is a file or cannot be created."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        problem = "it is a file, not a folder" if path.is_file() else exc.strerror or str(exc)
        raise DistillError(
            f"Distill cannot use {path} for its data ({problem}); point DISTILL_HOME at a folder it can write."
        ) from exc
    return path


def data_dir() -> Path:
    """The root of everything Distill stores; created on first use."""
    root = os.environ.get("DISTILL_HOME")
    return _make_folder(
        Path(root).expanduser() if root else Path(platformdirs.user_data_dir("distill", appauthor=False))
    )


def _subdir(name: str) -> Path:
    return _make_folder(data_dir() / name)


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
