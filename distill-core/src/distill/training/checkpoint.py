"""Checkpoints of a VAE run: an in-memory snapshot after every epoch, written to disk
periodically and whenever the run is stopped, so Ctrl-C loses at most the epoch in
flight and `--resume` continues bit-for-bit from the last finished epoch."""

from __future__ import annotations

import copy
from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch

from distill.errors import DistillError
from distill.fileio import atomic_path
from distill.training.loop import EpochStats, TrainingState


def snapshot(state: TrainingState, attempt: int) -> dict[str, Any]:
    """Everything needed to continue from the end of the current epoch (detached copies)."""
    return {
        "epoch": state.epoch,
        "attempt": attempt,
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
    if not path.is_file():
        raise DistillError(f"Nothing to resume: no checkpoint at {path}.")
    return torch.load(path, map_location="cpu", weights_only=True)


def restore(payload: dict[str, Any], state: TrainingState) -> None:
    state.vae.load_state_dict(payload["vae"])
    state.optimizer.load_state_dict(payload["optimizer"])
    state.generator.set_state(payload["generator"])
    torch.set_rng_state(payload["torch_rng"])
    state.epoch = payload["epoch"]
    state.history = [EpochStats(**h) for h in payload["history"]]
