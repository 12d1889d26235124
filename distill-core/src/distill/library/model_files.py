"""A model's file in the library: where a name's file lives, the lock its writers hold, and
whether it is still the file that was read.

Every writer of a model file (train, train-vocoder's save, `vocoders evaluate`, rename,
delete) goes through here, so "someone else changed it meanwhile" is decided one way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from distill.errors import DistillError
from distill.fileio import file_identity, file_lock
from distill.models.format import SUFFIX, DistillModel
from distill.names import check_name
from distill.paths import models_dir


def model_path(name: str) -> Path:
    """Where the library keeps the model called `name`; one sentence for a name that cannot be one."""
    check_name(name, "Model name")
    if name.lower().endswith(SUFFIX):
        raise DistillError(f"Model name '{name}' would be read as a file path; leave out '{SUFFIX}'.")
    return models_dir() / f"{name}{SUFFIX}"


def model_lock(path: Path, wait: float = 10.0) -> AbstractContextManager[None]:
    """The lock every writer of the model file at `path` holds for as long as it writes (or trains)."""
    return file_lock(
        path,
        f"The model file {path} is in use by another Distill process (training or saving it); "
        "try again when that has finished.",
        wait,
    )


def changed_since_read(model: DistillModel) -> bool:
    """Whether `model`'s file is no longer the one it was read from (rewritten, replaced or deleted since)."""
    return model.identity is not None and file_identity(model.path) != model.identity


@contextmanager
def unchanged_model_file(model: DistillModel, refusal: str, wait: float = 10.0) -> Iterator[Path]:
    """Hold `model`'s file lock, and go on only while the file is still the one `model` was read from.

    Otherwise raise `DistillError(refusal)` and touch nothing: a retrained model is never
    reverted, a deleted one never comes back, a confirmation never acts on a file it did not show.
    """
    if model.path is None:
        raise DistillError(f"Model '{model.name}' has no file in the library.")
    with model_lock(model.path, wait):
        if changed_since_read(model):
            raise DistillError(refusal)
        yield model.path
