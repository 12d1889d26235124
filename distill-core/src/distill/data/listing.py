"""A collection as a list a person browses: every recording with its length and waveform overview.

Reading a few hundred files takes seconds, so each file's entry is kept (by path, size and
modification time) for the life of the process: browsing a collection again, or the one a
model was trained on, costs nothing the second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import torch

from distill.audio.io import read_mono
from distill.audio.overview import overview
from distill.errors import DistillError

POINTS = 96  # waveform overview points per recording


@dataclass(frozen=True)
class Recording:
    path: Path
    name: str  # relative to the collection's folder
    seconds: float
    peaks: tuple[float, ...]  # the overview, scaled to the recording's own peak
    problem: str | None = None  # why it could not be read, when it could not


def _scaled(wav: torch.Tensor) -> tuple[float, ...]:
    peaks = overview(wav, POINTS)
    top = max(peaks, default=0.0) or 1.0
    return tuple(round(p / top, 3) for p in peaks)


def recording_of(path: Path, root: Path, wav: torch.Tensor, rate: int) -> Recording:
    """The entry of a recording already in memory (`[samples]` at `rate`)."""
    return Recording(path, _name(path, root), wav.numel() / rate, _scaled(wav))


def _name(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else path.name


@lru_cache(maxsize=4096)
def _read(path: Path, size: int, modified: int) -> tuple[float, tuple[float, ...]]:
    wav, rate = read_mono(path)
    return wav.numel() / rate, _scaled(wav)


def list_recordings(root: Path, names: list[str]) -> list[Recording]:
    """The entries of `names` (relative to `root`), in order; a file gone or unreadable says why."""
    found = []
    for name in names:
        path = Path(root) / name
        try:
            stat = path.stat()
            seconds, peaks = _read(path, stat.st_size, stat.st_mtime_ns)
        except (OSError, DistillError) as exc:
            problem = "no longer there" if isinstance(exc, FileNotFoundError) else str(exc)
            found.append(Recording(path, name, 0.0, (), problem))
            continue
        found.append(Recording(path, name, seconds, peaks))
    return found
