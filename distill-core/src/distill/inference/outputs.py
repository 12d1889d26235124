"""Generated files: each one rendered (`pipeline.generate_stream`), placed, exported with its sidecar and
quality report, and recorded in the history; and the output-file helpers `vocode` shares."""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import torch

from distill import __version__
from distill.audio.export import ExportSettings, Written, export_audio, write_sidecar
from distill.audio.spatial import Placement, place
from distill.controls.analysis import LatentAnalysis
from distill.data.segmenting import generation_mode
from distill.errors import DistillError
from distill.host.checked import until_rendered
from distill.host.selector import Selection, choose_vocoder, select_vocoder
from distill.inference.blending import Blend, compatible
from distill.inference.pipeline import generate_stream
from distill.library import history
from distill.library.catalog import resolve_model
from distill.models.diagnostics import health_sentence, model_health
from distill.models.format import DistillModel
from distill.progress import Progress, ProgressCallback
from distill.vocoders.types import Vocoder

log = logging.getLogger(__name__)

RENDER_TASK = "render"


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
    audio: torch.Tensor | Iterable[torch.Tensor],
    sample_rate: int,
    path: Path,
    settings: ExportSettings,
    record: dict[str, Any] | Callable[[], dict[str, Any]],
) -> tuple[dict[str, Any], list[float]]:
    """Export `audio` (a whole signal or a stream of `[channels, n]` pieces), then its sidecar.

    `record` may be a function, called once the render has been consumed, for what is
    known only then (the vocoder used after any fallback, the render time). Returns the
    record with path, format and quality filled in, and the file's waveform overview.
    The quality report describes exactly what is written (after resampling and the peak
    ceiling), and also records the level the render had before normalisation, the gain
    applied and the DC offset removed; a render below an audible floor is reported as near-silent and written at
    its own level (see `export_audio`).
    """
    done: dict[str, Any] = {}

    def tags() -> dict[str, Any]:
        done.update(record() if callable(record) else record)
        chosen = {k: done[k] for k in ("model", "seed", "mode", "sliders", "vocoder") if k in done}
        return {**chosen, "software": f"distill {__version__}"}

    try:
        written = export_audio(audio, sample_rate, path, settings, tags)
        document = _document(done, path, settings, written)
        write_sidecar(path, document)
    except BaseException:  # an error, Ctrl-C or `kill` between the file and its sidecar: neither stays
        discard_output(path)
        raise
    if written.near_silent:
        level = written.peak_before_dbfs
        shown = "no signal" if level is None else f"a peak of {level:.1f} dBFS"
        log.warning("%s is near-silent (%s before normalisation); it was not amplified.", path.name, shown)
    return document, written.overview


def _document(done: dict[str, Any], path: Path, settings: ExportSettings, written: Written) -> dict[str, Any]:
    """The sidecar's record of a written file: how it was made, what it is, and its quality report."""
    return {
        **done,
        "path": str(path),
        "sample_rate": settings.sample_rate,
        "channels": written.channels,
        "duration": round(written.frames / settings.sample_rate, 6),
        "format": settings.format,
        "bit_depth": settings.bit_depth if settings.format in ("wav", "flac") else None,
        "software": f"distill {__version__}",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "quality": {
            **written.quality,
            "peak_before_normalisation_dbfs": round(written.peak_before_dbfs, 2)
            if written.peak_before_dbfs is not None
            else None,
            "gain_db": round(written.gain_db, 2),
            "dc_offset_removed": round(written.dc_removed, 5),
            "near_silent": written.near_silent,
        },
    }


def discard_output(path: Path) -> None:
    """Remove a file and its sidecar: an output without its record is not left behind."""
    Path(path).unlink(missing_ok=True)
    Path(path).with_suffix(".json").unlink(missing_ok=True)


@dataclass
class Spatial:
    """How the mono render is placed: see `distill.audio.spatial`."""

    mode: str = "mono"
    width: float = 1.0
    azimuth: float = 30.0
    hrtf: Path | None = None

    def validate(self) -> None:
        """One sentence for a width or direction that is not a finite number in range."""
        if not (math.isfinite(self.width) and 0.0 <= self.width <= 2.0):
            raise DistillError(f"Stereo width must lie between 0 (mono) and 2 (extra wide), not {self.width:g}.")
        if not (math.isfinite(self.azimuth) and -180.0 <= self.azimuth <= 180.0):
            raise DistillError(f"The azimuth must lie between -180 and 180 degrees, not {self.azimuth:g}.")


MAX_SEED = 2**64 - 1


def check_seeds(first_seed: int, count: int) -> None:
    """Seeds `first_seed .. first_seed + count - 1` must all be valid, before any file is written."""
    if not 0 <= first_seed <= MAX_SEED - (count - 1):
        raise DistillError(
            f"The seed must lie between 0 and {MAX_SEED - (count - 1)} for {count} file(s), not {first_seed}."
        )


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
    blend -> mono render -> spatial -> export + sidecar + quality report -> history, streamed:
    each file is written as it renders, so its length does not bound memory.
    `mode` is one-shot or texture (None: the model's own, see `generation_mode`).
    """
    spatial = spatial or Spatial()
    spatial.validate()
    check_seeds(first_seed, count)
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
        path = output_path(folder, f"{model.name}-s{file_seed}", settings.format)
        if progress is not None:  # after any download and preparation the vocoder reported itself
            progress(Progress(RENDER_TASK, k, count, f"Rendering sound {k + 1} of {count} with {vocoder.name}"))

        def attempt(seed: int = file_seed, path: Path = path) -> tuple[dict[str, Any], list[float]]:
            mono = generate_stream(
                model,
                duration=duration,
                seed=seed,
                sliders=values,
                vocoder=vocoder,
                device=device,
                blend=blend_with,
                mode=mode,
            )
            placed = place(mono, Placement(rate, spatial.mode, spatial.width, spatial.azimuth, spatial.hrtf, seed))
            describe = partial(
                _describe, model, seed, mode, named, selection, spatial, blend, blend_with, time.perf_counter()
            )
            return write_output(placed, rate, path, settings, describe)

        document, overview = until_rendered(attempt)
        entry_id = history.new_entry_id()
        try:
            document["history_id"] = history.record(document, overview, entry_id)
        except BaseException:  # the file, its sidecar and its history entry exist together or not at all
            discard_output(path)
            history.forget(entry_id)
            raise
        records.append(document)
        if progress is not None:
            progress(Progress(RENDER_TASK, k + 1, count, f"Rendered {k + 1} of {count}"))
        if announce is not None:
            announce(f"[{k + 1}/{count}] {path} (seed {file_seed}, vocoder {vocoder.name})")
    return records


def _describe(
    model: DistillModel,
    seed: int,
    mode: str,
    sliders: dict[str, float],
    selection: Selection,
    spatial: Spatial,
    blend: Blend | None,
    blend_with: tuple[DistillModel, float, Vocoder | None] | None,
    started: float,
) -> dict[str, Any]:
    """A generated file's record, made once its render is done (the vocoder may have changed on the way)."""
    return {
        "model": model.name,
        "model_id": model.id,
        "seed": seed,
        "mode": mode,
        "sliders": sliders,
        "vocoder": selection.vocoder.name,
        "vocoder_skipped": selection.skipped,
        "render_seconds": round(time.perf_counter() - started, 3),
        "spatial": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(spatial).items()},
        "blend": {
            "model": blend.other,
            "weight": blend.weight,
            "method": "latent" if compatible(model, blend_with[0]) else "audio",
        }
        if blend
        else None,
    }
