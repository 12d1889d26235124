"""Reading and writing audio files with soundfile (torchaudio >= 2.9 does no file I/O)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from distill.audio.resampling import resample
from distill.errors import DistillError
from distill.fileio import atomic_path

READABLE_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
MIX_BLOCK = 1 << 18  # frames decoded at a time when mixing down
WRITABLE_FORMATS = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "mp3": "MP3"}  # suffix -> libsndfile format


def sf_path(path: Path) -> str | bytes:
    """A path as libsndfile needs it: the file system's own bytes, so names that are not
    valid UTF-8 (an old archive, a Windows share) open like any other."""
    return str(path) if os.name == "nt" else os.fsencode(path)


def _unreadable(path: Path, exc: Exception) -> DistillError:
    reason = str(exc).strip().rsplit("': ", 1)[-1].rstrip(".") or type(exc).__name__
    return DistillError(f"Cannot read audio file {path}: {reason}.")


def read_audio(path: Path) -> tuple[torch.Tensor, int]:
    """All channels of a file as float32 `[channels, samples]` and its sample rate."""
    path = Path(path)
    if not path.is_file():
        raise DistillError(f"Audio file not found: {path}.")
    try:
        data, rate = sf.read(sf_path(path), dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile's messages vary by format; one sentence is enough
        raise _unreadable(path, exc) from exc
    return torch.from_numpy(np.ascontiguousarray(data.T)), int(rate)


def read_mono(path: Path) -> tuple[torch.Tensor, int]:
    """A file mixed down to float32 `[samples]` block by block, and its sample rate.

    Holds one copy of the mono signal (plus a block), not the decoded channels and their
    transpose: an hour of stereo would otherwise pass through 2.5 GB.
    """
    path = Path(path)
    if not path.is_file():
        raise DistillError(f"Audio file not found: {path}.")
    try:
        with sf.SoundFile(sf_path(path)) as file:
            rate, mono, filled, extra = file.samplerate, np.empty(max(file.frames, 0), np.float32), 0, []
            for block in file.blocks(blocksize=MIX_BLOCK, dtype="float32", always_2d=True):
                mixed = block.mean(axis=1, dtype=np.float32)
                fits = min(len(mixed), len(mono) - filled)
                mono[filled : filled + fits] = mixed[:fits]
                filled += fits
                if fits < len(mixed):  # a header that undercounted its frames
                    extra.append(mixed[fits:])
    except Exception as exc:  # libsndfile's messages vary by format; one sentence is enough
        raise _unreadable(path, exc) from exc
    samples = np.concatenate([mono[:filled], *extra]) if extra else mono[:filled]
    return torch.from_numpy(samples), int(rate)


def load_audio(path: Path, sample_rate: int) -> torch.Tensor:
    """A file as mono float32 `[samples]` at `sample_rate` (channels averaged)."""
    wav, rate = read_mono(path)
    return resample(wav, rate, sample_rate)


def write_audio(path: Path, wav: torch.Tensor, sample_rate: int, subtype: str | None = None) -> Path:
    """Write `[samples]` or `[channels, samples]` atomically; the suffix picks the format."""
    data = wav.detach().cpu().float()
    data = data[None] if data.dim() == 1 else data
    array = data.T.contiguous().numpy()
    with atomic_path(Path(path)) as tmp:
        sf.write(sf_path(tmp), array, sample_rate, subtype=subtype, format=_format_for(Path(path)))
    return Path(path)


def _format_for(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in WRITABLE_FORMATS:
        raise DistillError(f"Unsupported audio format '.{suffix}'; use one of {', '.join(WRITABLE_FORMATS)}.")
    return WRITABLE_FORMATS[suffix]
