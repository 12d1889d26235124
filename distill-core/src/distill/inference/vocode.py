"""Analysis-resynthesis of a real recording (`distill vocode`, the UI's vocoder A/B): the model's
mel of the file, back through a vocoder, written with its quality report and, on request, the
objective distance from the original."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import torch

from distill.audio.export import FORMATS, OUTPUT_RATES, ExportSettings
from distill.audio.io import audio_seconds
from distill.audio.metrics import compare_to_original
from distill.audio.spectrogram import SpectrogramConfig
from distill.errors import DistillError
from distill.host.selector import choose_vocoder
from distill.inference.outputs import ensure_writable, write_output
from distill.inference.pipeline import load_for_resynthesis, resynthesise
from distill.models.format import DistillModel
from distill.progress import ProgressCallback
from distill.vocoders.verdict import RESYNTHESIS

MAX_SECONDS = 600.0  # resynthesis holds the recording, its mel and its render whole, not streamed


def vocode_file(
    audio_file: Path,
    output: Path,
    model: DistillModel | None,
    vocoder_name: str,
    device: torch.device,
    progress: ProgressCallback | None = None,
    compare: bool = False,
) -> dict[str, Any]:
    """Resynthesise `audio_file` into `output` (its suffix picks the format); returns the sidecar's record.

    The record names the vocoder used and the ones auto-selection skipped, the render time
    and, with `compare`, the distances from the original (see `distill.audio.metrics`).
    """
    fmt = Path(output).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise DistillError(f"Output suffix '{Path(output).suffix}' is not supported; use .wav, .flac, .ogg or .mp3.")
    if Path(output).exists() and Path(audio_file).exists() and os.path.samefile(audio_file, output):
        raise DistillError(f"{output} is the input recording itself; write the resynthesis to another file.")
    seconds = audio_seconds(Path(audio_file))
    if seconds > MAX_SECONDS:
        raise DistillError(
            f"{audio_file} is {seconds / 60:.0f} minutes long; vocode takes recordings of up to "
            f"{MAX_SECONDS / 60:.0f} minutes, so cut a shorter excerpt first."
        )
    config = model.spectrogram if model else SpectrogramConfig()
    source = load_for_resynthesis(audio_file, config)  # a bad file fails before any vocoder download
    ensure_writable(Path(output).parent)
    selection = choose_vocoder(vocoder_name, model, device, progress=progress, purpose=RESYNTHESIS)
    started = time.perf_counter()
    wav = resynthesise(source, config, selection.vocoder)
    record = {
        "source": str(audio_file),
        "model": model.name if model else None,
        "vocoder": selection.vocoder.name,
        "vocoder_skipped": selection.skipped,
        "render_seconds": round(time.perf_counter() - started, 3),
    }
    if compare:
        record["comparison"] = compare_to_original(source, wav, config.sample_rate)
    rate = config.sample_rate if config.sample_rate in OUTPUT_RATES else 48000
    document, _ = write_output(wav, config.sample_rate, Path(output), ExportSettings(fmt, 24, rate, None), record)
    return document
