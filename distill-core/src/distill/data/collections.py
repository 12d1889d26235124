"""New collections from loose files (the UI's upload): copied into the data dir, one folder each."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from distill.audio.io import READABLE_SUFFIXES
from distill.errors import DistillError
from distill.paths import collections_dir
from distill.training.runner import NAME_PATTERN


def import_files(files: Sequence[Path], name: str) -> Path:
    """Copy the audio among `files` into `collections_dir()/NAME` and return that folder.

    The folder appears whole or not at all (filled beside it, then renamed), so a failed
    upload never leaves half a collection to train on. Files that are not audio by their
    suffix are left out; an existing collection is never overwritten.
    """
    if not NAME_PATTERN.match(name):
        raise DistillError(
            f"Collection name '{name}' is not allowed; use up to 64 letters, digits, spaces, '.', '_' or '-'."
        )
    target = collections_dir() / name
    if target.exists():
        raise DistillError(f"A collection called '{name}' already exists in {collections_dir()}; pick another name.")
    audio = [Path(f) for f in files if Path(f).suffix.lower() in READABLE_SUFFIXES]
    if not audio:
        raise DistillError(f"None of the {len(files)} files is audio; Distill reads wav, flac, ogg, mp3 and aiff.")
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=collections_dir()))
    try:
        for index, source in enumerate(audio):
            destination = staging / source.name
            if destination.exists():  # two uploads with one name: keep both
                destination = staging / f"{source.stem}-{index}{source.suffix}"
            shutil.copyfile(source, destination)
        staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
