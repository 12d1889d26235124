"""A model's own recordings: where they are now, and which are held out to judge its vocoder.

Per-model vocoder training holds every 10th recording of the collection out (split by
recording, in path order), so the verdict is measured on recordings the vocoder never heard.
"""

from __future__ import annotations

from pathlib import Path

from distill.audio.io import READABLE_SUFFIXES
from distill.errors import DistillError
from distill.models.format import DistillModel
from distill.vocoders.types import TrainingAudio
from distill.vocoders.verdict import read_verdict

HELD_OUT_EVERY = 10


def model_training_audio(model: DistillModel, data: Path | None = None) -> TrainingAudio:
    """The recordings `model` was trained on: where it remembers them, or under `data` if they moved."""
    dataset = model.metadata.get("dataset") or {}
    files = dataset.get("files") or []
    root = Path(data) if data is not None else Path(dataset.get("root", ""))
    if data is not None and not root.is_dir():
        raise DistillError(f"Data folder not found: {root}.")
    paths = [root / f for f in files] if files else []
    if not files and data is not None:
        paths = sorted(p for p in root.rglob("*") if p.suffix.lower() in READABLE_SUFFIXES)
    present = [p for p in paths if p.is_file()]
    if not present:
        where = dataset.get("root", "an unknown folder")
        raise DistillError(
            f"The recordings model '{model.name}' was trained on are no longer in {where}; "
            "point --data at the folder that holds them now."
        )
    return TrainingAudio(present, model.spectrogram.sample_rate, root)


def hold_out_recordings(dataset: TrainingAudio) -> tuple[TrainingAudio, TrainingAudio]:
    """(to train on, held out): every 10th recording in path order, so no file is on both sides.

    A collection of two to ten recordings holds out one; a single recording none (its
    vocoder can then not be judged and stays unproven).
    """
    order = sorted(range(len(dataset)), key=dataset.name)
    held = set(order[::HELD_OUT_EVERY]) if len(order) >= 2 else set()
    train = [dataset.files[i] for i in order if i not in held]
    kept_out = [dataset.files[i] for i in order if i in held]
    return (
        TrainingAudio(train, dataset.sample_rate, dataset.root),
        TrainingAudio(kept_out, dataset.sample_rate, dataset.root),
    )


def recordings_to_judge(model: DistillModel, dataset: TrainingAudio) -> tuple[TrainingAudio, bool]:
    """The recordings to judge the own vocoder on, and whether it never trained on them.

    Those of an earlier verdict when it had them held out; otherwise the split's (a vocoder
    from before the split trained on every recording, so its verdict is flattered).
    """
    verdict = read_verdict(model) or {}
    if verdict.get("held_out") and verdict.get("recordings"):
        wanted = set(verdict["recordings"])
        chosen = [dataset.files[i] for i in range(len(dataset)) if dataset.name(i) in wanted]
        if chosen:
            return TrainingAudio(chosen, dataset.sample_rate, dataset.root), True
    return hold_out_recordings(dataset)[1], bool(verdict.get("held_out", False))
