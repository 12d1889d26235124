"""The held-out verdict on a model's own vocoder: does it beat Griffin-Lim on recordings it never heard?

Per-model vocoder training holds every 10th recording of the collection out (split by
recording, in path order). At the end of training (and after a cancel), those recordings
are analysis-resynthesised (original -> model mel -> vocoder) by the new vocoder, by
Griffin-Lim and by BigVGAN when its weights are already here, and compared with the
originals. The result is a plain JSON-able dict stored in the model file as
`vocoder_evaluation`; `auto` ranks the own vocoder first only when it beats Griffin-Lim.

Keys of the verdict (version 1):

* `version` (1), `vocoder` (the own vocoder's plugin name), `baseline` ("griffinlim"),
* `beats_baseline`: true / false, or null when no comparison was possible (unproven),
* `summary`: one sentence for people (shown by `model info`, the UI and the auto warning),
* `metric` ("multires_stft_distance") and `stft_windows` ([128, ..., 2048]),
* `recordings`: the recordings evaluated, relative to the collection's folder;
  `held_out`: true when the vocoder never trained on them (false for vocoders trained
  before the split existed); `audio_seconds`: how much audio was rendered,
* `results`: per vocoder name, `multires_stft_distance` (lower is better),
  `snr_db`, `level_difference_db` (render minus original RMS; negative is too quiet) and
  `real_time_factor` (seconds of audio per second of rendering on `device`),
* `skipped`: per vocoder name that could not be compared, the reason,
* `training_steps` (or null), `device`, `evaluated_at` (ISO 8601, UTC).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch

from distill.audio.metrics import (
    STFT_WINDOWS,
    level_difference_db,
    multires_stft_distance,
    snr_db,
)
from distill.audio.spectrogram import waveform_to_mel
from distill.errors import DistillError
from distill.models.format import DistillModel, now_iso, save_model
from distill.vocoders.registry import VocoderRegistry, get_registry
from distill.vocoders.types import Progress, ProgressCallback, TrainingAudio

VERSION = 1
BASELINE = "griffinlim"
COMPARED = (BASELINE, "bigvgan")
HELD_OUT_EVERY = 10
MAX_SECONDS_PER_RECORDING = 10.0
MAX_SECONDS = 30.0
METRIC = "multires_stft_distance"
DISPLAY = {"griffinlim": "Griffin-Lim", "bigvgan": "BigVGAN", "hifigan": "HiFi-GAN"}

log = logging.getLogger(__name__)


def split_held_out(dataset: TrainingAudio) -> tuple[TrainingAudio, TrainingAudio]:
    """(train, held out): every 10th recording in path order, so no file is on both sides.

    A collection of two to ten recordings holds out one; a single recording none (its
    vocoder can then not be judged and stays unproven).
    """
    order = sorted(range(len(dataset)), key=dataset.name)
    held = set(order[::HELD_OUT_EVERY]) if len(order) >= 2 else set()
    train = [dataset.files[i] for i in order if i not in held]
    kept_out = [dataset.files[i] for i in order if i in held]
    return (
        TrainingAudio(train, dataset.sample_rate, dataset.root),
        TrainingAudio(kept_out, dataset.sample_rate, dataset.root),
    )


def _display(name: str) -> str:
    return DISPLAY.get(name, name)


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
    from distill.vocoders.selector import load_named  # the selector consults verdicts: import late

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


def summarise(verdict: dict[str, Any]) -> str:
    """The verdict in one sentence: what auto does with the model's own vocoder, and why."""
    own, baseline = _display(verdict["vocoder"]), _display(verdict["baseline"])
    results, skipped = verdict["results"], verdict.get("skipped", {})
    count = len(verdict["recordings"])
    plural = "s" * (count != 1)
    where = f"{count} held-out recording{plural}" if verdict["held_out"] else f"{count} recording{plural} it trained on"
    if verdict["vocoder"] in skipped:
        return f"Its own {own} is unproven ({skipped[verdict['vocoder']]}), so auto ranks it below {baseline}."
    if not count:
        return (
            f"Its own {own} is unproven (a single recording leaves none to hold out), "
            f"so auto ranks it below {baseline}."
        )
    if verdict["baseline"] not in results:
        reason = skipped.get(verdict["baseline"], "not installed")
        return f"Its own {own} could not be compared with {baseline} ({reason}), so auto treats it as unproven."
    mine, theirs = results[verdict["vocoder"]][METRIC], results[verdict["baseline"]][METRIC]
    figures = f"multi-resolution STFT distance {mine:.3f} vs {theirs:.3f} on {where}, lower is better"
    if verdict["beats_baseline"]:
        return f"Its own {own} beats {baseline} ({figures}), so auto uses it first."
    return (
        f"Its own {own} loses to {baseline} ({figures}), so auto ranks it below {baseline}; "
        f"`--vocoder {verdict['vocoder']}` still uses it."
    )


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
    own = model.vocoder_type
    if own is None or model.vocoder_state_dict is None:
        raise DistillError(f"Model '{model.name}' has no vocoder of its own to evaluate.")
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


def own_vocoder_proven(model: object) -> bool:
    """Whether `model`'s own vocoder has a verdict that beats Griffin-Lim (what `auto` obeys)."""
    verdict = getattr(model, "vocoder_evaluation", None)
    return (
        isinstance(verdict, dict)
        and verdict.get("vocoder") == getattr(model, "vocoder_type", None)
        and verdict.get("beats_baseline") is True
    )


def verdict_summary(model: DistillModel) -> str | None:
    """One sentence on the model's own vocoder and auto, or None when it has none."""
    if model.vocoder_type is None or model.vocoder_state_dict is None:
        return None
    verdict = model.vocoder_evaluation
    if isinstance(verdict, dict) and verdict.get("vocoder") == model.vocoder_type and verdict.get("summary"):
        return verdict["summary"]
    return (
        f"Its own {_display(model.vocoder_type)} has no held-out verdict yet, so auto ranks it below "
        f"{_display(BASELINE)} until it is evaluated (`distill vocoders evaluate --model {model.name}`)."
    )


def held_out_recordings(model: DistillModel, dataset: TrainingAudio) -> tuple[TrainingAudio, bool]:
    """The recordings to judge the own vocoder on, and whether it never trained on them.

    Those of an earlier verdict when it had them held out; otherwise the split's (a vocoder
    from before the split trained on every recording, so its verdict is flattered).
    """
    verdict = model.vocoder_evaluation if isinstance(model.vocoder_evaluation, dict) else {}
    if verdict.get("held_out") and verdict.get("recordings"):
        wanted = set(verdict["recordings"])
        chosen = [dataset.files[i] for i in range(len(dataset)) if dataset.name(i) in wanted]
        if chosen:
            return TrainingAudio(chosen, dataset.sample_rate, dataset.root), True
    trained_with_split = verdict.get("held_out", False)
    return split_held_out(dataset)[1], bool(trained_with_split)


def evaluate_model_vocoder(
    model: DistillModel,
    data: Path | None = None,
    device: torch.device | str = "cpu",
    registry: VocoderRegistry | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Recompute the verdict of `model`'s own vocoder and store it in the model file."""
    from distill.vocoders.training import model_training_audio

    if model.vocoder_type is None or model.vocoder_state_dict is None:
        raise DistillError(f"Model '{model.name}' has no vocoder of its own to evaluate.")
    recordings, held_out = held_out_recordings(model, model_training_audio(model, data))
    previous = model.vocoder_evaluation if isinstance(model.vocoder_evaluation, dict) else {}
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
        save_model(model, model.path)
    return verdict


def ensure_verdict(model: object, device: torch.device | str, registry: VocoderRegistry | None = None) -> None:
    """First use of an own vocoder without a verdict (older files): judge it if its recordings are here.

    Only against Griffin-Lim (BigVGAN would cost minutes on a CPU). Without the recordings
    the vocoder stays unproven; nothing is stored, so a later run tries again.
    """
    if not isinstance(model, DistillModel) or model.vocoder_type is None or model.vocoder_state_dict is None:
        return
    if model.vocoder_evaluation is not None:
        return
    from distill.vocoders.training import model_training_audio

    try:
        dataset = model_training_audio(model)
    except DistillError:
        return
    recordings, held_out = held_out_recordings(model, dataset)
    log.info(
        "Judging model '%s''s own %s against Griffin-Lim on its recordings (first use).", model.name, model.vocoder_type
    )
    try:
        model.vocoder_evaluation = evaluate_vocoders(model, recordings, device, held_out, (BASELINE,), registry)
    except DistillError as exc:
        log.info("Could not judge model '%s''s own vocoder: %s", model.name, exc)
        return
    if model.path is not None:
        try:
            save_model(model, model.path)
        except OSError as exc:  # a read-only library still gets the verdict for this run
            log.info("Could not store the verdict in %s: %s", model.path, exc)


def passed_over_note(model: object, chosen: str) -> str | None:
    """The auto warning when a model's own vocoder was ranked below the one `auto` chose."""
    own = getattr(model, "vocoder_type", None)
    if not isinstance(model, DistillModel) or own is None or own == chosen or model.vocoder_state_dict is None:
        return None
    if own_vocoder_proven(model):
        return None
    reason = verdict_summary(model) or ""
    return f"Model '{model.name}' is rendered with '{chosen}', not its own '{own}': {reason[:1].lower()}{reason[1:]}"
