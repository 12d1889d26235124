"""Writing finished sounds: format, bit depth, output rate, peak ceiling, embedded tags, sidecar.

Tags use each format's native fields through libsndfile (RIFF INFO for WAV, Vorbis
comments for FLAC and OGG, ID3 for MP3): title, artist (the model), software, and a JSON
`comment` carrying seed, sliders and vocoder so a file describes itself even without its
sidecar.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf
import torch

from distill.audio.io import WRITABLE_FORMATS, sf_path
from distill.audio.overview import Overview
from distill.audio.quality import DC_OFFSET_LIMIT, NEAR_SILENT_DBFS, DCBlocker, LevelMeter
from distill.audio.resampling import resampled
from distill.errors import DistillError
from distill.fileio import atomic_path, scratch_path, write_text_atomic

FORMATS = WRITABLE_FORMATS
OUTPUT_RATES = (44100, 48000, 96000)
PCM_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
DEFAULT_CEILING_DB = -1.0
READ_FRAMES = 1 << 18  # frames per block of the second pass


@dataclass
class ExportSettings:
    format: str = "wav"
    bit_depth: int = 24  # wav: 16, 24 or 32 (float); flac: 16 or 24; ignored by ogg/mp3
    sample_rate: int = 48000
    peak_ceiling_db: float | None = DEFAULT_CEILING_DB  # None: leave levels alone (clip-safe only)

    def validate(self) -> None:
        if self.format not in FORMATS:
            raise DistillError(f"Unknown format '{self.format}'; choose one of {', '.join(FORMATS)}.")
        if self.sample_rate not in OUTPUT_RATES:
            raise DistillError(f"Output rate {self.sample_rate} Hz is not offered; choose 44100, 48000 or 96000.")
        allowed = {"wav": (16, 24, 32), "flac": (16, 24)}.get(self.format, (16, 24, 32))
        if self.bit_depth not in allowed:
            raise DistillError(f"{self.format} files take a bit depth of {', '.join(map(str, allowed))}.")
        if self.peak_ceiling_db is not None and not -60 <= self.peak_ceiling_db <= 0:
            raise DistillError("The peak ceiling must lie between -60 and 0 dBFS.")

    @property
    def subtype(self) -> str:
        return {"ogg": "VORBIS", "mp3": "MPEG_LAYER_III"}.get(self.format, PCM_SUBTYPES[self.bit_depth])


def peak_gain(peak: float, ceiling_db: float | None) -> float:
    """The factor that puts `peak` at the ceiling; without one, only what keeps it from clipping."""
    if peak == 0.0:
        return 1.0
    ceiling = 10 ** (ceiling_db / 20) if ceiling_db is not None else 1.0
    if ceiling_db is None and peak <= ceiling:
        return 1.0
    return ceiling / peak


def export_gain(peak: float | None, ceiling_db: float | None) -> tuple[float, bool]:
    """The gain an export gives a render peaking at `peak` (None: no finite signal), and whether it is
    near-silent: under `NEAR_SILENT_DBFS` a render keeps its own level instead of being lifted as if fine."""
    near_silent = not peak or 20 * math.log10(peak) < NEAR_SILENT_DBFS
    return peak_gain(peak or 0.0, None if near_silent else ceiling_db), near_silent


@dataclass
class Written:
    """What `export_audio` wrote, and what it measured on the way."""

    channels: int
    frames: int
    peak_before_dbfs: float | None  # the render's peak at the output rate, before any gain
    gain_db: float
    near_silent: bool  # peak below NEAR_SILENT_DBFS (or no finite signal): written at its own level
    dc_removed: float  # the render's DC offset (its mean) taken out before the gain; 0.0 when within the limit
    quality: dict[str, Any]  # `LevelMeter.report()` of exactly the samples written
    overview: list[float]


def _pieces(audio: torch.Tensor | Iterable[torch.Tensor]) -> Iterator[torch.Tensor]:
    """One `[samples]` / `[channels, samples]` tensor, or a stream of them, as `[channels, n]` float32 CPU pieces."""
    for piece in [audio] if isinstance(audio, torch.Tensor) else audio:
        piece = piece.detach().float().cpu()
        yield piece[None] if piece.dim() == 1 else piece


def _stage(blocks: Iterable[torch.Tensor], rate: int, scratch: Path) -> tuple[int, int, float | None, float]:
    """Pass one: the output-rate signal into a float32 scratch file.

    Returns channels, frames, the peak (None when any sample is not finite) and the mean.
    """
    channels, frames, peak, finite, total = 1, 0, 0.0, True, 0.0
    out: sf.SoundFile | None = None
    try:
        for block in blocks:
            if out is None:
                channels = block.shape[0]
                out = sf.SoundFile(sf_path(scratch), "w", rate, channels, "FLOAT", format="W64")
            if block.numel():
                finite = finite and bool(torch.isfinite(block).all())
                peak = max(peak, block.abs().max().item()) if finite else peak
                total += float(block.double().sum()) if finite else 0.0
            out.write(block.T.contiguous().numpy())
            frames += block.shape[-1]
    finally:
        if out is not None:
            out.close()
    return channels, frames, peak if finite else None, total / max(1, frames * channels)


def _staged(scratch: Path) -> Iterator[torch.Tensor]:
    """A scratch file's signal again, as `[channels, n]` blocks."""
    with sf.SoundFile(sf_path(scratch)) as staged:
        for block in staged.blocks(READ_FRAMES, dtype="float32", always_2d=True):
            yield torch.from_numpy(block).T


def _centred(blocks: Iterable[torch.Tensor], rate: int, channels: int) -> Iterator[torch.Tensor]:
    blocker = DCBlocker(rate, channels)
    for block in blocks:
        yield blocker(block)


def export_audio(
    audio: torch.Tensor | Iterable[torch.Tensor],
    sample_rate: int,
    path: Path,
    settings: ExportSettings,
    tags: dict[str, Any] | Callable[[], dict[str, Any]],
) -> Written:
    """A render -> a finished file at `path`, atomically, in the memory of a piece whatever its length.

    `audio` is `[samples]` or `[channels, samples]` at `sample_rate`, or an iterable of
    `[channels, n]` pieces of one signal in order. Two passes: the first resamples to the
    output rate into a float32 scratch file beside `path` and finds the peak; the second
    scales every sample by the gain that puts that peak at the ceiling, measures exactly
    what it writes (`LevelMeter`, `Overview`) and encodes the file. A render whose mean strays
    beyond `DC_OFFSET_LIMIT` (a vocoder's DC offset: lost headroom, a thump) is staged once more
    through `DCBlocker` in between, so its peak and gain are those of what is heard. A render whose peak
    lies below `NEAR_SILENT_DBFS` is written at its own level, never lifted as if fine.
    `tags` may be a function, asked once the render has been consumed.
    """
    settings.validate()
    path = Path(path)
    rate = settings.sample_rate
    with scratch_path(path) as raw, scratch_path(path) as centred:
        channels, frames, peak, offset = _stage(resampled(_pieces(audio), sample_rate, rate), rate, raw)
        scratch, removed = raw, 0.0
        if peak is not None and abs(offset) > DC_OFFSET_LIMIT:
            channels, frames, peak, _ = _stage(_centred(_staged(raw), rate, channels), rate, centred)
            scratch, removed = centred, offset
        level = 20 * math.log10(peak) if peak else None
        gain, near_silent = export_gain(peak, settings.peak_ceiling_db)
        meter, overview = LevelMeter(rate, channels), Overview(frames)
        tags = tags() if callable(tags) else tags
        with (
            atomic_path(path) as tmp,
            sf.SoundFile(sf_path(tmp), "w", rate, channels, settings.subtype, format=FORMATS[settings.format]) as out,
        ):
            out.title = str(tags.get("title", path.stem))
            out.artist = str(tags.get("model", ""))
            out.software = str(tags.get("software", ""))
            out.comment = json.dumps({k: v for k, v in tags.items() if k not in ("title",)}, sort_keys=True)
            if frames:
                for data in _staged(scratch):
                    data = data * gain if gain != 1.0 else data
                    meter.add(data)
                    overview.add(data)
                    out.write(data.T.contiguous().numpy())
    return Written(
        channels,
        frames,
        level,
        20 * math.log10(gain),
        near_silent,
        removed,
        meter.report(),
        overview.values(),
    )


def read_tags(path: Path) -> dict[str, Any]:
    """The tags `export_audio` embedded, read back from the file itself."""
    with sf.SoundFile(sf_path(path)) as f:
        comment = json.loads(f.comment) if f.comment else {}
        return {"title": f.title, **comment}


def write_sidecar(audio_path: Path, document: dict[str, Any]) -> Path:
    """`name.wav` -> `name.json` beside it, atomically."""
    return write_text_atomic(Path(audio_path).with_suffix(".json"), json.dumps(document, indent=2, default=str))
