"""Judging a model's own vocoder on held-out recordings, along both paths, against the baseline.

At the end of per-model vocoder training (and after a cancel), and on `distill vocoders
evaluate`, the recordings the vocoder never heard (`distill.host.recordings`) are rendered
by the own vocoder, by the baseline and by BigVGAN when its weights are already here,
from their own mels (analysis-resynthesis) and from the model's decoded mels (the
generation path, `host/generation_path.py`), and compared with the originals. The
verdict's keys and sentences are `distill.vocoders.verdict`'s. Generating never judges: a
model whose vocoder was never judged stays unproven until this runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from distill.audio.metrics import (
    STFT_WINDOWS,
    VISQOL_SWITCH,
    join_clips,
    level_difference_db,
    multires_stft_distance,
    snr_db,
    visqol,
    visqol_available,
)
from distill.errors import DistillError
from distill.host.generation_path import PathClip, path_clip, render_clip
from distill.host.loading import load_named
from distill.host.recordings import model_training_audio, recordings_to_judge
from distill.host.registry import VocoderRegistry, get_registry
from distill.library.model_files import unchanged_model_file
from distill.models.format import DistillModel, now_iso, save_model
from distill.progress import Progress, ProgressCallback
from distill.vocoders.output import VocoderFault
from distill.vocoders.types import TrainingAudio, Vocoder
from distill.vocoders.verdict import (
    BASELINE,
    GENERATION,
    METRIC,
    PATHS,
    PERCEPTUAL,
    RESYNTHESIS,
    VERSION,
    beats,
    has_own_vocoder,
    read_verdict,
    summarise,
)

COMPARED = (BASELINE, "bigvgan")
MAX_SECONDS_PER_RECORDING = 10.0
MAX_SECONDS = 30.0


@contextmanager
def _no_downloads() -> Iterator[None]:
    """Compare only vocoders whose weights are already here: an evaluation never downloads."""
    previous = os.environ.get("HF_HUB_OFFLINE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = previous


def _load(name: str, model: DistillModel, device: torch.device, registry: VocoderRegistry):
    with _no_downloads():
        return load_named(name, model, device, registry)


def _recordings(recordings: TrainingAudio) -> list[tuple[str, torch.Tensor]]:
    """Each held-out recording (first 10 s), until 30 s of audio are gathered."""
    clips, total = [], 0.0
    limit = int(MAX_SECONDS_PER_RECORDING * recordings.sample_rate)
    for index in sorted(range(len(recordings)), key=recordings.name):
        if total >= MAX_SECONDS:
            break
        wav = recordings[index][:limit].float()
        clips.append((recordings.name(index), wav))
        total += wav.numel() / recordings.sample_rate
    return clips


def judge_path(
    model: DistillModel,
    clips: list[PathClip],
    vocoders: dict[str, Vocoder],
    perceptual: bool,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """One path's part of the verdict: every vocoder's renders of `clips` against the recordings.

    Per vocoder the mean distance, SNR and level difference over the clips, its real-time
    factor, and (`perceptual`) ViSQOL of all its renders in a row against the recordings in
    a row (one-shots alone are too short to score). A vocoder whose render breaks the output
    contract is skipped with the reason.
    """
    rate = model.spectrogram.sample_rate
    audio_seconds = sum(clip.reference.numel() for clip in clips) / rate
    results, skipped = {}, {}
    for name, vocoder in vocoders.items():
        started = time.perf_counter()
        try:
            renders = [render_clip(vocoder, clip, model) for clip in clips]
        except VocoderFault as fault:
            skipped[name] = f"its render failed: it {fault}"
            continue
        seconds = time.perf_counter() - started
        pairs = list(zip((clip.reference for clip in clips), renders, strict=True))
        row = {
            METRIC: round(sum(multires_stft_distance(r, o) for r, o in pairs) / len(pairs), 4),
            "snr_db": round(sum(snr_db(r, o) for r, o in pairs) / len(pairs), 2),
            "level_difference_db": round(sum(level_difference_db(r, o) for r, o in pairs) / len(pairs), 2),
            "real_time_factor": round(audio_seconds / max(seconds, 1e-9), 2),
        }
        score = visqol(join_clips([r for r, _ in pairs], rate), join_clips(renders, rate), rate) if perceptual else None
        if score is not None:
            row[PERCEPTUAL] = score
        results[name] = row
        if progress is not None:
            progress(Progress("evaluate-vocoder", len(results) + len(skipped), len(vocoders), f"{name} judged"))
    return {"audio_seconds": round(audio_seconds, 3), "results": results, "skipped": skipped}


@torch.inference_mode()
def evaluate_vocoders(
    model: DistillModel,
    recordings: TrainingAudio,
    device: torch.device | str = "cpu",
    held_out: bool = True,
    compare: Sequence[str] = COMPARED,
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
    training_steps: int | None = None,
    perceptual: bool = True,
) -> dict[str, Any]:
    """Render `recordings` along both paths with the model's own vocoder and `compare`; the verdict dict.

    `perceptual=False` leaves ViSQOL out (it is also left out when its optional package is
    missing, and the verdict says so).
    """
    registry = registry or get_registry()
    device = torch.device(device)
    if not has_own_vocoder(model):
        raise DistillError(f"Model '{model.name}' has no vocoder of its own to evaluate.")
    own = model.vocoder_type
    vocoders, skipped = {}, {}
    for name in dict.fromkeys([own, *compare]):
        if registry.record(name) is None:
            skipped[name] = "not installed"
            continue
        try:
            vocoders[name] = _load(name, model, device, registry)
        except DistillError as exc:
            skipped[name] = str(exc).rstrip(".")
            if name == own:  # nothing to judge: don't spend time rendering the others
                break
    recordings_used = _recordings(recordings) if own in vocoders else []
    perceptual = perceptual and visqol_available()
    paths = {}
    for path in PATHS:
        clips = [path_clip(model, name, wav, path, device) for name, wav in recordings_used]
        part = judge_path(model, clips, vocoders, perceptual, progress) if clips else _empty_path()
        part["skipped"] = {**skipped, **part["skipped"]}
        own_row, baseline_row = part["results"].get(own), part["results"].get(BASELINE)
        part["beats_baseline"] = beats(own_row, baseline_row) if own_row and baseline_row else None
        paths[path] = part
    verdict = {
        "version": VERSION,
        "vocoder": own,
        "baseline": BASELINE,
        "metric": METRIC,
        "stft_windows": list(STFT_WINDOWS),
        "perceptual": PERCEPTUAL if perceptual else _why_no_perceptual(),
        "recordings": [name for name, _ in recordings_used],
        "held_out": held_out,
        **paths[RESYNTHESIS],
        GENERATION: paths[GENERATION],
        "vae": model.vae_fingerprint,
        "training_steps": training_steps,
        "device": str(device),
        "evaluated_at": now_iso(),
    }
    verdict["summary"] = summarise(verdict)
    return verdict


def _empty_path() -> dict[str, Any]:
    return {"audio_seconds": 0.0, "results": {}, "skipped": {}}


def _why_no_perceptual() -> str:
    if visqol_available():
        return "not asked for"
    return f"not measured: ViSQOL is not installed (pip install 'distill-core[quality]') or {VISQOL_SWITCH}=0"


def evaluate_model_vocoder(
    model: DistillModel,
    data: Path | None = None,
    device: torch.device | str = "cpu",
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Recompute the verdict of `model`'s own vocoder and store it in the model file.

    Stored only if the file is still the one `model` was read from (nothing retrained,
    replaced or deleted it meanwhile).
    """
    if not has_own_vocoder(model):
        raise DistillError(f"Model '{model.name}' has no vocoder of its own to evaluate.")
    recordings, held_out = recordings_to_judge(model, model_training_audio(model, data))
    previous = read_verdict(model) or {}
    verdict = evaluate_vocoders(
        model,
        recordings,
        device,
        held_out,
        registry=registry,
        progress=progress,
        training_steps=previous.get("training_steps"),
    )
    model.vocoder_evaluation = verdict
    if model.path is not None:
        refusal = f"The model file {model.path} changed while its vocoder was judged; the verdict was not stored."
        with unchanged_model_file(model, refusal) as path:
            save_model(model, path)
    return verdict
