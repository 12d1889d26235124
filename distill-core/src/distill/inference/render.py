"""Finished generations: render, place, export with sidecar and quality report, record in the history."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from distill import __version__
from distill.audio.export import ExportSettings, export_audio, normalise_peak, write_sidecar
from distill.audio.quality import NEAR_SILENT_DBFS, peak_dbfs, quality_report
from distill.audio.resampling import resample
from distill.audio.spatial import render_spatial
from distill.controls.analysis import LatentAnalysis
from distill.data.segmenting import generation_mode
from distill.errors import DistillError
from distill.inference.blending import Blend, compatible
from distill.inference.pipeline import generate as render
from distill.library import history
from distill.library.catalog import resolve_model
from distill.models.diagnostics import health_sentence, model_health
from distill.models.format import DistillModel
from distill.vocoders.selector import choose_vocoder, select_vocoder
from distill.vocoders.types import ProgressCallback

log = logging.getLogger(__name__)


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
    peak ceiling), so it describes the file, not an intermediate; it also records the
    level the render had before normalisation and the gain applied. A render below an
    audible floor is reported as near-silent and written at its own level, never lifted
    to the ceiling as if it were fine.
    """
    placed = resample(wav if wav.dim() == 2 else wav[None], sample_rate, settings.sample_rate)
    level = peak_dbfs(placed)
    near_silent = level is None or level < NEAR_SILENT_DBFS
    final, gain_db = normalise_peak(placed, None if near_silent else settings.peak_ceiling_db)
    if near_silent:
        shown = "no signal" if level is None else f"a peak of {level:.1f} dBFS"
        log.warning("%s is near-silent (%s before normalisation); it was not amplified.", path.name, shown)
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
        "quality": {
            **quality_report(final, settings.sample_rate),
            "peak_before_normalisation_dbfs": round(level, 2) if level is not None else None,
            "gain_db": round(gain_db, 2),
            "near_silent": near_silent,
        },
    }
    tags = {k: document[k] for k in ("model", "seed", "mode", "sliders", "vocoder", "software") if k in document}
    export_audio(
        final,
        settings.sample_rate,
        path,
        ExportSettings(settings.format, settings.bit_depth, settings.sample_rate, None),
        tags,
    )
    write_sidecar(path, document)
    return document


@dataclass
class Spatial:
    """How the mono render is placed: see `distill.audio.spatial`."""

    mode: str = "mono"
    width: float = 1.0
    azimuth: float = 30.0
    hrtf: Path | None = None


def generate_files(
    model: DistillModel,
    count: int,
    duration: float,
    vocoder_name: str,
    first_seed: int,
    values: dict[int, float],
    settings: ExportSettings,
    folder: Path,
    device: torch.device,
    spatial: Spatial | None = None,
    blend: Blend | None = None,
    progress: ProgressCallback | None = None,
    announce: Callable[[str], None] | None = None,
    mode: str | None = None,
) -> list[dict[str, Any]]:
    """Render `count` files with seeds `first_seed`, `first_seed + 1`, ...; record each in the history.

    The engine's whole generate step, shared by the CLI and any other front end:
    blend -> mono render -> spatial -> export + sidecar + quality report -> history.
    `mode` is one-shot or texture (None: the model's own, see `generation_mode`).
    """
    spatial = spatial or Spatial()
    mode = mode or generation_mode(model)
    health = model_health(model)
    if health["collapsed"]:
        log.warning("Model '%s' is %s: expect near-silence or noise; retrain it.", model.name, health_sentence(health))
    analysis = LatentAnalysis.from_dict(model.latent_analysis) if model.latent_analysis else None
    if analysis is not None:
        analysis.validate(values)
    blend_with = None
    if blend is not None:
        other = resolve_model(blend.other)
        other_vocoder = None if compatible(model, other) else select_vocoder("auto", other, device, progress=progress)
        blend_with = (other, blend.weight, other_vocoder)
    selection = choose_vocoder(vocoder_name, model, device, progress=progress)
    vocoder = selection.vocoder
    named = {s.name: values.get(s.index, s.default) for s in analysis.sliders} if analysis else {}
    rate = model.spectrogram.sample_rate
    records = []
    for k in range(count):
        file_seed = first_seed + k
        started = time.perf_counter()
        mono = render(
            model,
            duration=duration,
            seed=file_seed,
            sliders=values,
            vocoder=vocoder,
            device=device,
            blend=blend_with,
            mode=mode,
        )
        render_seconds = time.perf_counter() - started
        wav = render_spatial(mono, rate, spatial.mode, spatial.width, spatial.azimuth, spatial.hrtf, file_seed)
        record = {
            "model": model.name,
            "model_id": model.id,
            "seed": file_seed,
            "mode": mode,
            "sliders": named,
            "vocoder": vocoder.name,
            "vocoder_skipped": selection.skipped,
            "render_seconds": round(render_seconds, 3),
            "spatial": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(spatial).items()},
            "blend": {
                "model": blend.other,
                "weight": blend.weight,
                "method": "latent" if compatible(model, blend_with[0]) else "audio",
            }
            if blend
            else None,
        }
        path = output_path(folder, f"{model.name}-s{file_seed}", settings.format)
        document = write_output(wav, rate, path, settings, record)
        document["history_id"] = history.record(document, wav)
        records.append(document)
        if announce is not None:
            announce(f"[{k + 1}/{count}] {path} (seed {file_seed}, vocoder {vocoder.name})")
    return records
