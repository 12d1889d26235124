"""Checking every file of a collection: bad files are skipped with a reason, never fatal."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import torch

from distill.audio.io import read_audio
from distill.audio.resampling import resample
from distill.data.discovery import find_audio_files
from distill.errors import DistillError

MIN_SECONDS = 0.02  # a short click is still a drum sound; below this a mel has 1-2 frames
SILENCE_PEAK = 10 ** (-60 / 20)  # -60 dBFS

log = logging.getLogger(__name__)


@dataclass
class SkippedFile:
    path: Path
    reason: str


@dataclass
class Collection:
    """The usable recordings of a folder, mono at one sample rate, and what was skipped."""

    root: Path
    sample_rate: int
    files: list[Path] = field(default_factory=list)
    waveforms: list[torch.Tensor] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    source_rates: list[int] = field(default_factory=list)  # each used file's own sample rate

    @property
    def total_seconds(self) -> float:
        return sum(w.numel() for w in self.waveforms) / self.sample_rate

    def summary(self) -> dict:
        """What the model file records about its training data."""
        return {
            "root": str(self.root.resolve()),
            "files": [str(p.relative_to(self.root)) for p in self.files],
            "skipped": [{"path": str(s.path.relative_to(self.root)), "reason": s.reason} for s in self.skipped],
            "num_files": len(self.files),
            "total_seconds": round(self.total_seconds, 3),
            "sample_rate": self.sample_rate,
            "source_rates": {str(rate): self.source_rates.count(rate) for rate in sorted(set(self.source_rates))},
        }


def check_waveform(wav: torch.Tensor, sample_rate: int) -> str | None:
    """Why a decoded recording is unusable, or None if it is fine."""
    if wav.numel() == 0:
        return "empty (no audio samples)"
    if not torch.isfinite(wav).all():
        return "contains NaN or infinite samples"
    seconds = wav.numel() / sample_rate
    if seconds < MIN_SECONDS:
        return f"too short ({seconds:.3f} s; at least {MIN_SECONDS:g} s needed)"
    if wav.abs().max() < SILENCE_PEAK:
        return "silent (peak below -60 dBFS)"
    return None


def load_collection(root: Path, sample_rate: int) -> Collection:
    """Load every usable file under `root` as mono at `sample_rate`; log one line per skipped file."""
    root = Path(root)
    collection = Collection(root=root, sample_rate=sample_rate)
    for path in find_audio_files(root):
        try:
            channels, rate = read_audio(path)
            wav = resample(channels.mean(dim=0), rate, sample_rate)
            reason = check_waveform(wav, sample_rate)
        except DistillError as exc:
            wav, rate, reason = None, None, f"unreadable ({str(exc).rstrip('.')})"
        if reason is not None:
            collection.skipped.append(SkippedFile(path, reason))
            log.warning("Skipped %s: %s", path.relative_to(root), reason)
            continue
        collection.files.append(path)
        collection.waveforms.append(wav)
        collection.source_rates.append(rate)
    if not collection.files:
        found = len(collection.skipped)
        raise DistillError(
            f"No usable audio files in {root} ({found} skipped); Distill reads wav, flac, ogg, mp3 and aiff."
        )
    return collection
