"""`distill train-vocoder`: learn a model's own vocoder from its own recordings."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from distill.cli.common import device_of
from distill.cli.output import stderr
from distill.cli.root import app
from distill.errors import DistillError
from distill.library.catalog import resolve_model
from distill.vocoders.training import (
    check_trainable,
    initial_weights,
    model_training_audio,
    train_model_vocoder,
    training_config,
    vocoder_run_dir,
)
from distill.vocoders.types import Progress as ProgressEvent


@app.command("train-vocoder")
def train_vocoder(
    ctx: typer.Context,
    model_ref: str = typer.Option(..., "--model", help="Model name, id or path."),
    vocoder: str = typer.Option("hifigan", "--vocoder", help="A vocoder plugin that can learn per model."),
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="Passes over the model's audio."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Optimizer steps (instead of --epochs)."),
    batch_size: int = typer.Option(4, "--batch-size", min=1),
    learning_rate: float = typer.Option(2e-4, "--learning-rate"),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint."),
    init_from: str | None = typer.Option(
        None, "--init-from", help="Warm start: a model with a vocoder, or a checkpoint."
    ),
    data: Path | None = typer.Option(None, "--data", help="Where the model's recordings are now, if they moved."),
    discriminator_width: int = typer.Option(
        1, "--discriminator-width", help="Divide discriminator channels (CPU runs)."
    ),
) -> None:
    """Train a model's own vocoder; the weights are stored in the model file."""
    if epochs is not None and max_steps is not None:
        raise DistillError("Give either --epochs or --max-steps, not both.")
    check_trainable(vocoder)
    model = resolve_model(model_ref)
    dataset = model_training_audio(model, data)
    run_dir = vocoder_run_dir(model)
    config = training_config(
        model,
        epochs=epochs,
        max_steps=max_steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        resume=resume,
        init_from=initial_weights(init_from, vocoder) if init_from else None,
        device=str(device_of(ctx)),
        discriminator_width=discriminator_width,
    )
    stderr.print(
        f"Training '{vocoder}' for '{model.name}' on {len(dataset)} recordings; run folder {run_dir}", highlight=False
    )
    columns = (
        TextColumn("[bold]vocoder"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[losses]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=stderr, transient=True) as bars:
        task = bars.add_task("train", total=None, losses="")

        def show(event: ProgressEvent) -> None:
            losses = "  ".join(f"{k} {v:.3f}" for k, v in event.metrics.items())
            bars.update(task, completed=event.completed, total=event.total, losses=losses)

        model = train_model_vocoder(model, vocoder, dataset, config, show)
    typer.echo(f"Stored the trained {vocoder} vocoder in {model.path}; `--vocoder auto` now uses it.")
