"""Reading `torch.save` archives that may have been crafted, without trusting what they declare.

`torch.load(weights_only=True)` runs no code, but it believes the archive: a record can be
deflated (a gigabyte in a few megabytes), a tensor can be a view that declares 10**12
elements over one stored number (`torch.zeros(1).expand(10**12)`), a pickle can nest
containers 100,000 deep. Here the archive is checked as a zip first (every record stored
as is, so no record is larger than the file), then mapped rather than read (`mmap`: a
tensor costs nothing until touched), and every tensor in it must be a plain array whose
elements the file really holds. What the numbers mean is the caller's business.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import torch

from distill.documents import NotPlain, leaves
from distill.errors import DistillError

MAX_PICKLE_BYTES = 32 << 20  # the archive's structure (names, settings, lists); the numbers live outside it
MAX_RECORDS = 100_000


class ArchiveProblem(ValueError):
    """Why a file is not a sound `torch.save` archive, in a few words."""


class Unreadable(ArchiveProblem):
    """Not a zip archive at all, or a damaged one."""


def _check_zip(path: Path) -> None:
    """Every record stored uncompressed and within the file, and a structure of sane size."""
    try:
        size = path.stat().st_size
        with zipfile.ZipFile(path) as archive:
            records = archive.infolist()
    except (OSError, zipfile.BadZipFile, ValueError) as exc:
        raise Unreadable(str(exc)) from exc
    if len(records) > MAX_RECORDS:
        raise ArchiveProblem(f"it holds more than {MAX_RECORDS:,} records")
    if not any(r.filename.endswith("/data.pkl") or r.filename == "data.pkl" for r in records):
        raise Unreadable("no data.pkl")
    for record in records:
        if record.compress_type != zipfile.ZIP_STORED or record.file_size != record.compress_size:
            raise ArchiveProblem(f"its record {record.filename[-40:]} is compressed, which PyTorch never does")
        if record.header_offset + record.file_size > size:
            raise Unreadable("truncated")
        if record.filename.endswith("data.pkl") and record.file_size > MAX_PICKLE_BYTES:
            raise ArchiveProblem(f"its structure takes {record.file_size:,} bytes, far more than any model's")
    if sum(r.file_size for r in records) > size:
        raise ArchiveProblem("its records overlap")


def _is_pickle(path: Path) -> bool:
    """Whether the file starts like a pickle (a legacy `torch.save`, or anything else Python wrote)."""
    try:
        with open(path, "rb") as file:
            return file.read(1) == pickle.PROTO
    except OSError:
        return False


def tensors_in(value: Any) -> Iterator[torch.Tensor]:
    """Every tensor in nested dicts, lists and tuples (`NotPlain` if they nest too deep)."""
    return (leaf for leaf in leaves(value) if isinstance(leaf, torch.Tensor))


def layout_problem(tensor: torch.Tensor) -> str | None:
    """Why `tensor` is not a plain array of numbers stored in full (expanded, strided, sparse), or None."""
    if tensor.layout != torch.strided or tensor.is_quantized or tensor.is_nested:
        return "is not a plain array of numbers"
    if not tensor.is_contiguous():
        return f"declares {tensor.numel():,} numbers that the file does not hold (an expanded or strided view)"
    return None


def load_archive(path: Path, kind: str) -> Any:
    """The contents of `torch.save` archive `path`, tensors mapped from the file (not read), all checked.

    `kind` names what the file should be in the sentence a problem becomes ("Distill model").
    Archives in PyTorch's legacy format (a bare pickle) are refused: that reader allocates
    whatever sizes the file declares.
    """
    path = Path(path)
    code = f"{path} holds more than plain weights (Python objects Distill will not run), so it is not used as a {kind}."
    unreadable = f"{path} is not a readable {kind} (not a PyTorch archive, or a damaged or truncated one)."
    try:
        _check_zip(path)
        contents = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        for tensor in tensors_in(contents):
            problem = layout_problem(tensor)
            if problem is not None:
                raise ArchiveProblem(f"a tensor in it {problem}")
    except Unreadable as exc:
        raise DistillError(code if _is_pickle(path) else unreadable) from exc
    except (ArchiveProblem, NotPlain) as exc:
        raise DistillError(f"{path} cannot be used: {exc} (the file is damaged or was altered).") from exc
    except pickle.UnpicklingError as exc:  # a callable the weights-only reader refuses, or a damaged structure
        raise DistillError(code if "Unsupported global" in str(exc) else unreadable) from exc
    except Exception as exc:  # torch's reader raises whatever its parser met
        raise DistillError(unreadable) from exc
    return contents


def map_tensors(value: Any, change: Callable[[torch.Tensor], torch.Tensor]) -> Any:
    """`value` with every tensor replaced by `change(tensor)` (dicts, lists and tuples rebuilt).

    Only for values `tensors_in` has walked: their depth is bounded, so recursion is safe.
    """
    if isinstance(value, torch.Tensor):
        return change(value)
    if isinstance(value, dict):
        return type(value)((k, map_tensors(v, change)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return type(value)(map_tensors(v, change) for v in value)
    return value


def in_memory(tensor: torch.Tensor) -> torch.Tensor:
    """A mapped tensor copied into memory, so the file can be replaced or deleted while it is used."""
    return tensor.clone()


def shape_only(tensor: torch.Tensor) -> torch.Tensor:
    """A tensor's shape and type, without its numbers (for listings that never read weights)."""
    return torch.empty(tensor.shape, dtype=tensor.dtype, device="meta")
