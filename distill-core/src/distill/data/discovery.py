"""Finding the audio files of a collection, in nested folders."""

from __future__ import annotations

from pathlib import Path

from distill.audio.io import READABLE_SUFFIXES
from distill.errors import DistillError


def find_audio_files(root: Path) -> list[Path]:
    """Audio files under `root` by suffix, sorted, hidden files and folders skipped."""
    root = Path(root)
    if not root.is_dir():
        raise DistillError(f"Data folder not found: {root}.")
    return sorted(
        path
        for path in root.rglob("*")
        if path.is_file()
        and path.suffix.lower() in READABLE_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )
