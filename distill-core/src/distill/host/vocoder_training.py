"""Per-model vocoder training from the host's side: hold recordings out, run the plugin with the
host's one stop signal, judge what it learned, bundle both into the model file."""

from __future__ import annotations

import os
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any

from distill.errors import DistillError
from distill.host.evaluation import evaluate_vocoders
from distill.host.generation_path import with_rendering
from distill.host.recordings import hold_out_recordings
from distill.host.registry import PluginFailure, VocoderRegistry, get_registry
from distill.host.vocoder_curve import HeldOutCurve
from distill.host.vocoder_runs import run_lock, stop_file
from distill.library.model_files import unchanged_model_file
from distill.models.format import DistillModel, save_model
from distill.progress import ProgressCallback, ShouldStop, TrainingCancelled
from distill.stopping import StopRequests
from distill.vocoders.types import TrainingAudio, VocoderState


def check_trainable(name: str, registry: VocoderRegistry | None = None) -> None:
    """One sentence unless plugin `name` is installed, working and able to learn per model."""
    registry = registry or get_registry()
    record = registry.record(name)
    if record is None or record.status != "ok":
        raise DistillError(f"Vocoder '{name}' is not installed (or broken), so it cannot be trained.")
    if not registry.implements(name, "train_vocoder"):
        raise DistillError(f"Vocoder '{name}' cannot be trained per model; only plugins that learn can.")


def is_main_process() -> bool:
    """False in the non-zero ranks of a `torchrun` job: they train but never write the model file."""
    return int(os.environ.get("RANK", "0")) == 0


def train_model_vocoder(
    model: DistillModel,
    name: str,
    dataset: TrainingAudio,
    config: dict[str, Any],
    progress: ProgressCallback | None = None,
    registry: VocoderRegistry | None = None,
    should_stop: ShouldStop | None = None,
) -> DistillModel:
    """Train vocoder plugin `name` on `dataset` minus its held-out recordings, judge it on those, bundle both.

    The plugin gets the model's own mels of its training recordings (`TrainingAudio.model_mel`),
    what generation will feed it, and a `Judge` (`HeldOutCurve`) for its held-out curve.

    The plugin is asked to stop (its `should_stop`) by Ctrl-C, `kill`, the stop file in
    the run folder, a `KeyboardInterrupt` from `progress`, or the caller's `should_stop`
    (a stop button). A cancel that keeps a checkpoint (`TrainingCancelled` carrying the
    state so far) is bundled and judged the same way before the cancel goes on up. The
    model's run lock (`run_lock`) is held throughout by the process that stores the result,
    so a second run for the same model fails at once.
    """
    with run_lock(model) if is_main_process() else nullcontext():
        return _train_and_bundle(model, name, dataset, config, progress, registry, should_stop)


def _train_and_bundle(
    model: DistillModel,
    name: str,
    dataset: TrainingAudio,
    config: dict[str, Any],
    progress: ProgressCallback | None,
    registry: VocoderRegistry | None,
    should_stop: ShouldStop | None,
) -> DistillModel:
    registry = registry or get_registry()
    check_trainable(name, registry)
    train_set, held_out = hold_out_recordings(dataset)
    device = config.get("device") or "cpu"
    judge = HeldOutCurve(model, held_out, device, registry) if is_main_process() else None
    run_dir = Path(config["run_dir"]) if config.get("run_dir") else None
    stop = StopRequests(should_stop, stop_file(run_dir) if run_dir is not None else None)
    cancelled: TrainingCancelled | None = None
    try:
        with stop.caught():
            state = registry.call(
                name,
                "train_vocoder",
                name=name,
                model=model,
                dataset=with_rendering(train_set, model, device),
                config=config,
                progress=stop.reporting(progress),
                should_stop=stop,
                judge=judge,
            )
    except PluginFailure as failure:
        original = failure.original
        if isinstance(original, TrainingCancelled) and original.state is not None and is_main_process():
            state, cancelled = original.state, original
        elif isinstance(original, DistillError):
            raise original from None
        else:
            raise DistillError(f"Training vocoder '{name}' failed ({failure}).") from failure
    if state is None:
        raise DistillError(f"Vocoder '{name}' returned no trained state.")
    if not is_main_process():
        return model
    trained = replace(
        model, vocoder_type=state.vocoder_type, vocoder_config=state.config, vocoder_state_dict=state.state_dict
    )
    evaluation = evaluate_vocoders(trained, held_out, device, registry=registry, training_steps=state.steps)
    bundle_vocoder(model, state, evaluation, run_dir)
    if cancelled is not None:
        raise TrainingCancelled(
            f"{str(cancelled).rstrip('.')}; the vocoder so far is stored in the model: "
            f"{evaluation['summary'][:1].lower()}{evaluation['summary'][1:]}",
            state,
        ) from None
    return model


def bundle_vocoder(
    model: DistillModel,
    state: VocoderState,
    evaluation: dict[str, Any] | None = None,
    kept_in: Path | None = None,
) -> DistillModel:
    """Store the trained vocoder (and its verdict) inside the model's own file; a failed write keeps the old file.

    Only while the file is still the one `model` was read from: if it was retrained,
    replaced or deleted while the vocoder trained, nothing is written.
    """
    if model.path is None:
        raise DistillError(f"Model '{model.name}' has no file to store its vocoder in.")
    kept = f"; the trained vocoder's checkpoint is kept in {kept_in} (start from it with --init-from)"
    refusal = (
        f"Model '{model.name}' was retrained, replaced or deleted while its vocoder trained, so its file "
        f"was left as it is{kept if kept_in else ''}."
    )
    with unchanged_model_file(model, refusal) as path:
        model.vocoder_type = state.vocoder_type
        model.vocoder_config = state.config
        model.vocoder_state_dict = state.state_dict
        model.vocoder_evaluation = evaluation
        save_model(model, path)
    return model
