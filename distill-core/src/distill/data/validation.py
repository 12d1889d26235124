"""Checking every file of a collection: bad files are skipped with a reason, never fatal."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

import torch

from distill.audio.io import decode_mono
from distill.audio.resampling import resample
from distill.data.discovery import SkippedFile, scan_audio_files
from distill.errors import DistillError

MIN_SECONDS = 0.02  # a short click is still a drum sound; below this a mel has 1-2 frames
SILENCE_PEAK = 10 ** (-60 / 20)  # -60 dBFS
MAX_PEAK = 1000.0  # +60 dBFS: a float file this far beyond full scale is damaged or wrongly scaled

log = logging.getLogger(__name__)


@dataclass
class Collection:
    """The usable recordings of a folder, mono at one sample rate, and what was skipped."""

    root: Path
    sample_rate: int
    files: list[Path] = field(default_factory=list)
    waveforms: list[torch.Tensor] = field(default_factory=list)  # may be released once segmented
    skipped: list[SkippedFile] = field(default_factory=list)
    partial: list[SkippedFile] = field(default_factory=list)  # used only in part (damaged), and how much
    lengths: list[int] = field(default_factory=list)  # samples per file, kept when the audio is released
    source_rates: list[int] = field(default_factory=list)  # each used file's own sample rate

    @property
    def total_seconds(self) -> float:
        return sum(self.lengths) / self.sample_rate

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


def peak_level(wav: torch.Tensor) -> float:
    """The largest |sample| (NaN if any sample is NaN), without a copy of the signal."""
    if wav.numel() == 0:
        return 0.0
    low, high = torch.aminmax(wav)
    return max(-float(low), float(high)) if not (low.isnan() or high.isnan()) else float("nan")


def sample_problem(wav: torch.Tensor) -> str | None:
    """Why these samples cannot be analysed at all (NaN, infinities, absurd levels), or None."""
    peak = peak_level(wav)
    if not math.isfinite(peak):
        return "contains NaN or infinite samples"
    if peak > MAX_PEAK:
        return f"has samples reaching {peak:.3g}, far beyond full scale (1.0), so it is damaged or wrongly scaled"
    return None


def check_waveform(wav: torch.Tensor, sample_rate: int) -> str | None:
    """Why a decoded recording is unusable, or None if it is fine."""
    if wav.numel() == 0:
        return "empty (no audio samples)"
    problem = sample_problem(wav)
    if problem is not None:
        return problem
    seconds = wav.numel() / sample_rate
    if seconds < MIN_SECONDS:
        return f"too short ({seconds:.3f} s; at least {MIN_SECONDS:g} s needed)"
    if peak_level(wav) < SILENCE_PEAK:
        return "silent (peak below -60 dBFS)"
    return None


def load_collection(root: Path, sample_rate: int) -> Collection:
    """Load every usable file under `root` as mono at `sample_rate`; log one line per skipped or damaged file."""
    root = Path(root)
    collection = Collection(root=root, sample_rate=sample_rate)
    found = scan_audio_files(root)
    collection.skipped.extend(found.skipped)
    for skipped in found.skipped:
        log.warning("Skipped %s: %s", skipped.path.relative_to(root), skipped.reason)
    for path in found.files:
        try:
            decoded = decode_mono(path)
            rate, wav = decoded.rate, resample(decoded.samples, decoded.rate, sample_rate)
            reason = check_waveform(wav, sample_rate)
        except DistillError as exc:
            wav, rate, reason = None, None, f"unreadable ({str(exc).rstrip('.')})"
        if reason is not None:
            collection.skipped.append(SkippedFile(path, reason))
            log.warning("Skipped %s: %s", path.relative_to(root), reason)
            continue
        if decoded.damage is not None:
            collection.partial.append(SkippedFile(path, decoded.damage))
            log.warning("%s is %s.", path.relative_to(root), decoded.damage)
        collection.files.append(path)
        collection.waveforms.append(wav)
        collection.lengths.append(wav.numel())
        collection.source_rates.append(rate)
    if not collection.files:
        found = len(collection.skipped)
        raise DistillError(
            f"No usable audio files in {root} ({found} skipped); Distill reads wav, flac, ogg, mp3 and aiff."
        )
    return collection
