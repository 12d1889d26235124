"""Judging a model's own vocoder: analysis-resynthesis of held-out recordings, against the baseline.

At the end of per-model vocoder training (and after a cancel), and on `distill vocoders
evaluate`, the recordings the vocoder never heard (`distill.host.recordings`) are
analysis-resynthesised (original -> model mel -> vocoder) by the own vocoder, by the
baseline and by BigVGAN when its weights are already here, and compared with the
originals. The verdict's keys and sentences are `distill.vocoders.verdict`'s. Generating
never judges: a model whose vocoder was never judged stays unproven until this runs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from distill.audio.metrics import STFT_WINDOWS, level_difference_db, multires_stft_distance, snr_db
from distill.audio.spectrogram import waveform_to_mel
from distill.errors import DistillError
from distill.host.loading import load_named
from distill.host.recordings import model_training_audio, recordings_to_judge
from distill.host.registry import VocoderRegistry, get_registry
from distill.library.model_files import unchanged_model_file
from distill.models.format import DistillModel, now_iso, save_model
from distill.progress import Progress, ProgressCallback
from distill.vocoders.types import TrainingAudio
from distill.vocoders.verdict import BASELINE, METRIC, VERSION, has_own_vocoder, read_verdict, summarise

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


def _clips(recordings: TrainingAudio) -> list[tuple[str, torch.Tensor]]:
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
) -> dict[str, Any]:
    """Analysis-resynthesise `recordings` with the model's own vocoder and `compare`; the verdict dict."""
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
    clips = _clips(recordings) if own in vocoders else []
    sums = {name: {METRIC: 0.0, "snr_db": 0.0, "level_difference_db": 0.0, "seconds": 0.0} for name in vocoders}
    audio_seconds = 0.0
    for done, (_, wav) in enumerate(clips):
        mel = waveform_to_mel(wav[None].to(device), model.spectrogram)
        audio_seconds += wav.numel() / recordings.sample_rate
        for name, vocoder in vocoders.items():
            started = time.perf_counter()
            out = vocoder.mel_to_waveform(mel, num_samples=wav.numel())[0].float().cpu()
            row = sums[name]
            row["seconds"] += time.perf_counter() - started
            row[METRIC] += multires_stft_distance(wav, out)
            row["snr_db"] += snr_db(wav, out)
            row["level_difference_db"] += level_difference_db(wav, out)
        if progress is not None:
            progress(Progress("evaluate-vocoder", done + 1, len(clips), f"held-out recording {done + 1}"))
    results = {}
    if clips:
        for name, row in sums.items():
            results[name] = {
                METRIC: round(row[METRIC] / len(clips), 4),
                "snr_db": round(row["snr_db"] / len(clips), 2),
                "level_difference_db": round(row["level_difference_db"] / len(clips), 2),
                "real_time_factor": round(audio_seconds / max(row["seconds"], 1e-9), 2),
            }
    beats = None
    if own in results and BASELINE in results:
        beats = results[own][METRIC] < results[BASELINE][METRIC]
    verdict = {
        "version": VERSION,
        "vocoder": own,
        "baseline": BASELINE,
        "beats_baseline": beats,
        "metric": METRIC,
        "stft_windows": list(STFT_WINDOWS),
        "recordings": [name for name, _ in clips],
        "held_out": held_out,
        "audio_seconds": round(audio_seconds, 3),
        "results": results,
        "skipped": skipped,
        "training_steps": training_steps,
        "device": str(device),
        "evaluated_at": now_iso(),
    }
    verdict["summary"] = summarise(verdict)
    return verdict


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
