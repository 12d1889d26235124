"""Checkpoints of a VAE run: an in-memory snapshot after every epoch, written to disk
periodically and whenever the run is stopped, so Ctrl-C loses at most the epoch in
flight and `--resume` continues bit-for-bit from the last finished epoch.

A checkpoint remembers the training settings and the recordings it was made with, so
`--resume` with another preset or folder, or on a damaged file, is one sentence.
"""

from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from distill.data.validation import Collection
from distill.errors import DistillError
from distill.fileio import atomic_path
from distill.training.loop import EpochStats, TrainingState
from distill.training.presets import TrainingPreset

RESTART = "start again without --resume (add --force to replace an existing model)"


def recordings(collection: Collection) -> dict[str, Any]:
    """What a checkpoint remembers of its data, so --resume refuses other recordings."""
    summary = collection.summary()
    return {"root": summary["root"], "files": summary["files"]}


def snapshot(state: TrainingState, attempt: int, preset: TrainingPreset, data: dict[str, Any]) -> dict[str, Any]:
    """Everything needed to continue from the end of the current epoch (detached copies)."""
    return {
        "epoch": state.epoch,
        "attempt": attempt,
        "preset": preset.to_dict(),
        "data": data,
        "vae": copy.deepcopy(state.vae.state_dict()),
        "optimizer": copy.deepcopy(state.optimizer.state_dict()),
        "generator": state.generator.get_state(),
        "torch_rng": torch.get_rng_state(),
        "history": [asdict(h) for h in state.history],
    }


def write(path: Path, payload: dict[str, Any]) -> None:
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)


def read(path: Path) -> dict[str, Any]:
    """The checkpoint at `path`; one sentence if there is none or it is damaged."""
    if not path.is_file():
        raise DistillError(f"Nothing to resume: no checkpoint at {path}.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(payload["preset"], dict) or payload["attempt"] not in (0, 1):
            raise TypeError("bad fields")
    except Exception as exc:
        raise DistillError(f"The checkpoint {path} is damaged; {RESTART}.") from exc
    return payload


def check_fits(payload: dict[str, Any], path: Path, preset: TrainingPreset, data: dict[str, Any]) -> None:
    """One sentence if the checkpoint was made on other data, or with other settings (epochs aside).

    Data first: the settings follow the collection (`TrainingPreset.for_collection`).
    """
    made_on = payload.get("data")
    if isinstance(made_on, dict) and made_on != data:
        raise DistillError(
            f"The checkpoint {path} was made on other recordings ({made_on.get('root')}, "
            f"{len(made_on.get('files', []))} files); resume with that folder, or {RESTART}."
        )
    made_with = {k: v for k, v in payload["preset"].items() if k != "epochs"}
    if made_with != {k: v for k, v in preset.to_dict().items() if k != "epochs"}:
        raise DistillError(
            f"The checkpoint {path} was made with the '{made_with.get('name')}' preset or other training settings; "
            f"resume with the same --preset, or {RESTART}."
        )


def restore(payload: dict[str, Any], state: TrainingState, path: Path) -> None:
    """Continue `state` from `payload`; one sentence if it does not fit this model."""
    try:
        state.vae.load_state_dict(payload["vae"])
        state.optimizer.load_state_dict(payload["optimizer"])
        state.generator.set_state(payload["generator"])
        torch.set_rng_state(payload["torch_rng"])
        state.epoch = int(payload["epoch"])
        state.history = [EpochStats(**h) for h in payload["history"]]
    except Exception as exc:
        raise DistillError(
            f"The checkpoint {path} does not fit this model's settings or is damaged; {RESTART}."
        ) from exc
