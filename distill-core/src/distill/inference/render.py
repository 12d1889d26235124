"""One finished generation: audio in, file + sidecar + quality report out."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from distill import __version__
from distill.audio.export import ExportSettings, export_audio, normalise_peak, write_sidecar
from distill.audio.quality import quality_report
from distill.audio.resampling import resample
from distill.errors import DistillError


def output_path(folder: Path, stem: str, extension: str) -> Path:
    """A new file name in `folder` that no earlier or concurrent run can have taken."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return Path(folder) / f"{stem}-{stamp}-{secrets.token_hex(3)}.{extension}"


def ensure_writable(folder: Path) -> Path:
    """Create `folder` if needed; one sentence if it cannot be written."""
    folder = Path(folder).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".distill-write-test-{secrets.token_hex(3)}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise DistillError(f"Cannot write to output folder {folder}: {exc.strerror or exc}.") from exc
    return folder


def write_output(
    wav: torch.Tensor, sample_rate: int, path: Path, settings: ExportSettings, record: dict[str, Any]
) -> dict[str, Any]:
    """Export `wav`, then its sidecar; returns the record with path, format and quality filled in.

    The quality report is measured on exactly what is written (after resampling and the
    peak ceiling), so it describes the file, not an intermediate.
    """
    final = normalise_peak(
        resample(wav if wav.dim() == 2 else wav[None], sample_rate, settings.sample_rate), settings.peak_ceiling_db
    )
    document = {
        **record,
        "path": str(path),
        "sample_rate": settings.sample_rate,
        "channels": final.shape[0],
        "duration": round(final.shape[-1] / settings.sample_rate, 6),
        "format": settings.format,
        "bit_depth": settings.bit_depth if settings.format in ("wav", "flac") else None,
        "software": f"distill {__version__}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "quality": quality_report(final, settings.sample_rate),
    }
    tags = {k: document[k] for k in ("model", "seed", "sliders", "vocoder", "software") if k in document}
    export_audio(
        final,
        settings.sample_rate,
        path,
        ExportSettings(settings.format, settings.bit_depth, settings.sample_rate, None),
        tags,
    )
    write_sidecar(path, document)
    return document
