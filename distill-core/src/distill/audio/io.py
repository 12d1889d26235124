"""Reading and writing audio files with soundfile (torchaudio >= 2.9 does no file I/O)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import torch

from distill.audio.resampling import rate_problem, resample
from distill.errors import DistillError
from distill.fileio import atomic_path

READABLE_SUFFIXES = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff")
MIX_BLOCK = 1 << 18  # frames decoded at a time when mixing down
PREALLOCATED = 1 << 28  # frames reserved up front for the mono signal, whatever a header claims
DAMAGED_BLOCK = 1 << 10  # frames at a time when decoding a damaged file up to its damage
WRITABLE_FORMATS = {"wav": "WAV", "flac": "FLAC", "ogg": "OGG", "mp3": "MP3"}  # suffix -> libsndfile format

log = logging.getLogger(__name__)


def sf_path(path: Path) -> str | bytes:
    """A path as libsndfile needs it: the file system's own bytes, so names that are not
    valid UTF-8 (an old archive, a Windows share) open like any other."""
    return str(path) if os.name == "nt" else os.fsencode(path)


def _unreadable(path: Path, exc: Exception) -> DistillError:
    reason = str(exc).strip().rsplit("': ", 1)[-1].rstrip(".") or type(exc).__name__
    return DistillError(f"Cannot read audio file {path}: {reason}.")


@dataclass
class Decoded:
    """A file mixed down to mono, with what was wrong with it, if anything."""

    samples: torch.Tensor  # float32 `[samples]`
    rate: int
    damage: str | None = None  # e.g. "damaged after 1.20 s of 3.00 s; the first 1.20 s are used"


def _open(path: Path) -> sf.SoundFile:
    """The file, open for decoding, once its header passed; one sentence if it cannot be."""
    if not path.is_file():
        raise DistillError(f"Audio file not found: {path}.")
    try:
        file = sf.SoundFile(sf_path(path))
    except Exception as exc:  # libsndfile's messages vary by format; one sentence is enough
        raise _unreadable(path, exc) from exc
    problem = rate_problem(file.samplerate)
    if problem is not None:
        file.close()
        raise DistillError(f"Cannot read audio file {path}: {problem}.")
    return file


def read_audio(path: Path) -> tuple[torch.Tensor, int]:
    """All channels of a file as float32 `[channels, samples]` and its sample rate."""
    path = Path(path)
    with _open(path) as file:
        try:
            data = file.read(dtype="float32", always_2d=True)
        except Exception as exc:  # libsndfile's messages vary by format; one sentence is enough
            raise _unreadable(path, exc) from exc
        return torch.from_numpy(np.ascontiguousarray(data.T)), int(file.samplerate)


def audio_seconds(path: Path) -> float:
    """How long a file says it is, from its header alone (nothing decoded)."""
    with _open(Path(path)) as file:
        return max(file.frames, 0) / file.samplerate


def _mix(file: sf.SoundFile, blocksize: int) -> tuple[np.ndarray, RuntimeError | None]:
    """The mono signal from the current position on, and the decoding error that stopped it, if one did.

    Filled into one array of the header's length (at most `PREALLOCATED` frames: a header
    may lie), so the signal is held once, not as blocks and their concatenation.
    """
    mono, filled, extra, error = np.empty(min(max(file.frames, 0), PREALLOCATED), np.float32), 0, [], None
    try:
        for block in file.blocks(blocksize=blocksize, dtype="float32", always_2d=True):
            mixed = block.mean(axis=1, dtype=np.float32)
            fits = min(len(mixed), len(mono) - filled)
            mono[filled : filled + fits] = mixed[:fits]
            filled += fits
            if fits < len(mixed):  # a header that undercounted its frames
                extra.append(mixed[fits:])
    except RuntimeError as exc:  # libsndfile's decoding errors
        error = exc
    return (np.concatenate([mono[:filled], *extra]) if extra else mono[:filled]), error


def decode_mono(path: Path) -> Decoded:
    """A file mixed down to float32 mono, block by block, as far as it decodes.

    Holds one copy of the mono signal (plus a block), not the decoded channels and their
    transpose: an hour of stereo would otherwise pass through 2.5 GB. A file damaged part
    way (a truncated FLAC, garbage mid-stream) gives what decodes before the damage, read
    again in small blocks to get close to it, and says how much that is; one that ends
    before its header's length says so too.
    """
    path = Path(path)
    with _open(path) as file:
        rate, declared = file.samplerate, max(file.frames, 0)
        samples, error = _mix(file, MIX_BLOCK)
    if error is not None:
        with _open(path) as file:
            samples, error = _mix(file, DAMAGED_BLOCK)
    if error is not None and not samples.size:
        raise _unreadable(path, error)
    used, whole = samples.size / rate, declared / rate
    damage = None
    if error is not None:
        damage = f"damaged after {used:.2f} s of {whole:.2f} s; the first {used:.2f} s are used"
    elif samples.size < declared:
        damage = f"ends after {used:.2f} s although its header says {whole:.2f} s; those {used:.2f} s are used"
    return Decoded(torch.from_numpy(samples), rate, damage)


def read_mono(path: Path) -> tuple[torch.Tensor, int]:
    """A file mixed down to float32 `[samples]` and its sample rate (see `decode_mono`); damage is warned about."""
    decoded = decode_mono(path)
    if decoded.damage is not None:
        log.warning("%s is %s.", path, decoded.damage)
    return decoded.samples, decoded.rate


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
