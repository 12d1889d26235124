"""A per-model vocoder training run: its folder, its options, its previews and where it may start from."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import torch

from distill.archives import in_memory, load_archive, map_tensors
from distill.errors import DistillError
from distill.fileio import file_lock
from distill.library.catalog import resolve_model
from distill.models.format import DistillModel, load_model
from distill.paths import data_dir

DEFAULT_STEPS = 2000
STOP_FILE = "stop"


def vocoder_run_dir(model: DistillModel) -> Path:
    """Checkpoints and previews of a model's vocoder training."""
    return data_dir() / "vocoder-runs" / model.id


def run_lock(model: DistillModel) -> AbstractContextManager[None]:
    """Held for a whole vocoder training run of `model`, so one process at a time writes its run folder.

    Two runs at once would write the same checkpoint, and the model would end with one
    run's vocoder and the other's checkpoint. The second fails at once, in one sentence.
    """
    return file_lock(
        vocoder_run_dir(model),
        f"The vocoder of model '{model.name}' is already training in another process; "
        "wait for that run to end, or stop it, before starting another.",
        wait=0,
    )


def stop_file(run_dir: Path) -> Path:
    """The file whose appearance stops a run in `run_dir`: how a launcher of several processes stops them all."""
    return Path(run_dir) / STOP_FILE


def training_config(
    model: DistillModel,
    *,
    epochs: int | None = None,
    max_steps: int | None = None,
    recipe: str | None = None,
    batch_size: int | None = None,
    learning_rate: float | None = None,
    segment_frames: int | None = None,
    warmup_steps: int | None = None,
    resume: bool = False,
    init_from: dict | None = None,
    device: str = "cpu",
    discriminator_width: int | None = None,
    preview_every: int | None = None,
) -> dict[str, Any]:
    """The `config` the `train_vocoder` hook gets, as the CLI and the UI both build it.

    Without `epochs` or `max_steps` the run is `DEFAULT_STEPS` steps long; options left at
    None are the plugin's recipe's.
    """
    if epochs is not None and max_steps is not None:
        raise DistillError("Give either a number of epochs or of steps, not both.")
    return {
        "run_dir": str(vocoder_run_dir(model)),
        "epochs": epochs,
        "max_steps": max_steps if (max_steps or epochs) else DEFAULT_STEPS,
        "recipe": recipe,
        "batch_size": batch_size,
        "learning_rate": learning_rate,
        "segment_frames": segment_frames,
        "warmup_steps": warmup_steps,
        "discriminator_width": discriminator_width,
        "resume": resume,
        "init_from": init_from,
        "device": device,
        "preview_every": preview_every,
    }


def latest_previews(model: DistillModel) -> tuple[Path | None, Path | None]:
    """The training run's original clip and its newest reconstruction, where they exist yet."""
    folder = vocoder_run_dir(model) / "previews"
    original = folder / "original.wav"
    steps = sorted(folder.glob("step*.wav"))
    return (original if original.is_file() else None), (steps[-1] if steps else None)


def initial_weights(source: str, name: str) -> dict:
    """Generator weights to warm-start from: another model's own vocoder, or a checkpoint file."""
    path = Path(source).expanduser()
    if path.is_file() and path.suffix != ".distill":
        state = load_archive(path, "vocoder checkpoint")
        weights = state.get("generator") if isinstance(state, dict) else None
        if not isinstance(weights, dict) or not all(isinstance(t, torch.Tensor) for t in weights.values()):
            raise DistillError(f"{path} holds no generator weights.")
        return map_tensors(weights, in_memory)
    donor = load_model(path) if path.is_file() else resolve_model(source)
    if donor.vocoder_type != name or donor.vocoder_state_dict is None:
        raise DistillError(f"Model '{donor.name}' has no {name} vocoder to start from.")
    return donor.vocoder_state_dict
