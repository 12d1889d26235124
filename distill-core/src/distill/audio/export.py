"""Writing finished sounds: format, bit depth, output rate, peak ceiling, embedded tags, sidecar.

Tags use each format's native fields through libsndfile (RIFF INFO for WAV, Vorbis
comments for FLAC and OGG, ID3 for MP3): title, artist (the model), software, and a JSON
`comment` carrying seed, sliders and vocoder so a file describes itself even without its
sidecar.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import soundfile as sf
import torch

from distill.audio.io import WRITABLE_FORMATS
from distill.audio.resampling import resample
from distill.errors import DistillError
from distill.fileio import atomic_path, write_text_atomic

FORMATS = WRITABLE_FORMATS
OUTPUT_RATES = (44100, 48000, 96000)
PCM_SUBTYPES = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
DEFAULT_CEILING_DB = -1.0


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


def normalise_peak(wav: torch.Tensor, ceiling_db: float | None) -> tuple[torch.Tensor, float]:
    """Scale so the peak sits at the ceiling; without one, only scale down what would clip.

    Returns the scaled signal and the gain applied, in dB (0 when left alone).
    """
    peak = wav.abs().max().item() if wav.numel() else 0.0
    if peak == 0.0:
        return wav, 0.0
    ceiling = 10 ** (ceiling_db / 20) if ceiling_db is not None else 1.0
    if ceiling_db is None and peak <= ceiling:
        return wav, 0.0
    return wav * (ceiling / peak), 20 * math.log10(ceiling / peak)


def export_audio(
    wav: torch.Tensor, sample_rate: int, path: Path, settings: ExportSettings, tags: dict[str, Any]
) -> Path:
    """`[samples]` or `[channels, samples]` -> a finished file at `path`, atomically."""
    settings.validate()
    data = wav.detach().float().cpu()
    data = data[None] if data.dim() == 1 else data
    data = resample(data, sample_rate, settings.sample_rate)
    data, _ = normalise_peak(data, settings.peak_ceiling_db)
    path = Path(path)
    try:
        with (
            atomic_path(path) as tmp,
            sf.SoundFile(
                str(tmp), "w", settings.sample_rate, data.shape[0], settings.subtype, format=FORMATS[settings.format]
            ) as out,
        ):
            out.title = str(tags.get("title", path.stem))
            out.artist = str(tags.get("model", ""))
            out.software = str(tags.get("software", ""))
            out.comment = json.dumps({k: v for k, v in tags.items() if k not in ("title",)}, sort_keys=True)
            out.write(data.T.contiguous().numpy())
    except OSError as exc:
        raise DistillError(f"Cannot write {path}: {exc.strerror or exc}.") from exc
    return path


def read_tags(path: Path) -> dict[str, Any]:
    """The tags `export_audio` embedded, read back from the file itself."""
    with sf.SoundFile(str(path)) as f:
        comment = json.loads(f.comment) if f.comment else {}
        return {"title": f.title, **comment}


def write_sidecar(audio_path: Path, document: dict[str, Any]) -> Path:
    """`name.wav` -> `name.json` beside it, atomically."""
    return write_text_atomic(Path(audio_path).with_suffix(".json"), json.dumps(document, indent=2, default=str))
