"""`distill train`: a folder of recordings -> a playable model in the library."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from distill.cli.app import app
from distill.cli.common import device_of
from distill.cli.output import say, stderr
from distill.data.discovery import find_audio_files
from distill.data.segmenting import ONE_SHOT
from distill.inference.assessment import assess
from distill.models.diagnostics import health_sentence, model_health, resemblance_far, resemblance_sentence
from distill.models.format import DistillModel
from distill.progress import Progress as ProgressEvent
from distill.training.runner import train_model

log = logging.getLogger(__name__)


@app.command()
def train(
    ctx: typer.Context,
    data_dir: Path = typer.Argument(..., help="Folder of your recordings (nested folders are searched)."),
    model_name: str = typer.Option(..., "--model-name", help="Name of the new model."),
    epochs: int | None = typer.Option(None, "--epochs", help="Override the preset's epoch count."),
    preset: str = typer.Option("auto", "--preset", help="auto|small|medium|large|demo."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run from its checkpoint."),
    force: bool = typer.Option(False, "--force", help="Replace an existing model of the same name."),
) -> None:
    """Train a model on a folder of recordings."""
    model = train_with_progress(
        data_dir, model_name, epochs=epochs, preset=preset, device=device_of(ctx), resume=resume, overwrite=force
    )
    typer.echo(f"Saved model '{model.name}' to {model.path}")


def train_with_progress(data_dir: Path, name: str, **options: Any) -> DistillModel:
    """`train_model` with a Rich progress display and a summary on stderr."""
    columns = (
        TextColumn("[bold]training"),
        BarColumn(),
        TextColumn("{task.fields[message]}"),
        TextColumn("{task.fields[losses]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    find_audio_files(data_dir)  # a missing folder is reported before any progress display
    with Progress(*columns, console=stderr, transient=True) as bars:
        task = bars.add_task("train", total=None, message="loading audio", losses="")

        def show(event: ProgressEvent) -> None:
            losses = _figures(event.metrics)
            fields = {"message": event.message} | ({"losses": losses} if losses else {})
            bars.update(task, completed=event.completed, total=event.total, **fields)

        device = options.get("device", "cpu")
        model = train_model(data_dir, name, progress=show, assess=partial(assess, device=device), **options)
    dataset = model.metadata["dataset"]
    val = model.metadata["val_loss"]
    say(
        f"Used {dataset['num_files']} files ({dataset['total_seconds']:.1f} s), skipped {len(dataset['skipped'])}; "
        f"validation loss {f'{val:.4f}' if val is not None else 'n/a (too few files to hold some out)'}."
    )
    layout = model.metadata["layout"]
    kind = "one-shots" if layout["mode"] == ONE_SHOT else "textures"
    sliders = ", ".join(s["name"] for s in model.latent_analysis["sliders"])
    for line in (
        f"Generates {kind} (median recording {layout['median_seconds']:.2f} s).",
        f"Health: {health_sentence(model_health(model))}.",
        f"Resemblance: {resemblance_sentence(model.metadata.get('resemblance'))}.",
        f"Sliders: {sliders}",
    ):
        say(line)
    resemblance = model.metadata.get("resemblance")
    if resemblance is not None and resemblance_far(resemblance):
        log.warning(
            "Model '%s' %s. Try more recordings of each kind of sound, or train longer with --epochs.",
            model.name,
            resemblance_sentence(resemblance),
        )
    return model


def _figures(metrics: dict[str, float]) -> str:
    """The training figures a person watches: losses, then whether the model is alive."""
    shown = [f"loss {metrics['loss']:.4f}"] if "loss" in metrics else []
    if "val_loss" in metrics:
        shown.append(f"val {metrics['val_loss']:.4f}")
    if "active_units" in metrics:
        shown.append(f"active units {metrics['active_units']:.0f}")
    error = metrics.get("heldout_l1", metrics.get("train_l1"))
    if error is not None:
        shown.append(
            f"error {error:.3f} (mean segment {metrics['mean_segment_l1']:.3f}, silence {metrics['silence_l1']:.3f})"
        )
    return "  ".join(shown)
