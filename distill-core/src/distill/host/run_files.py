"""What a model leaves beside its file: the checkpoints of its stopped trainings.

A stopped VAE training keeps `runs/NAME/` for a resume, a model's own vocoder training
`vocoder-runs/ID/` (tens of MB) for a resume or a warm start. Deleting the model file alone
leaves them behind, unseen; a front end offers to remove them with it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from distill.host.vocoder_runs import vocoder_run_dir
from distill.models.format import DistillModel
from distill.training.runner import run_dir


@dataclass(frozen=True)
class RunFiles:
    what: str  # in words: "its vocoder training's checkpoint"
    folder: Path
    size: int  # bytes


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_files(model: DistillModel) -> list[RunFiles]:
    """The training folders `model` left behind, with their sizes; empty when there are none."""
    found = []
    for what, folder in (
        ("its vocoder training's checkpoint", vocoder_run_dir(model)),
        ("a stopped training's checkpoint", run_dir(model.name)),
    ):
        if folder.is_dir():
            found.append(RunFiles(what, folder, _size(folder)))
    return found


def remove_run_files(found: list[RunFiles]) -> None:
    """Remove those folders (what is already gone is no error)."""
    for files in found:
        shutil.rmtree(files.folder, ignore_errors=True)
