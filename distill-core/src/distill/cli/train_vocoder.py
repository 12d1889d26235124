"""`distill train-vocoder`: learn a model's own vocoder from its own recordings, then judge it."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from distill.cli.app import app
from distill.cli.common import device_of
from distill.cli.launch import NPROC_OPTION, launch_workers
from distill.cli.output import stderr
from distill.cli.verdict import print_verdict
from distill.errors import DistillError
from distill.host.recordings import model_training_audio
from distill.host.vocoder_runs import initial_weights, stop_file, training_config, vocoder_run_dir
from distill.host.vocoder_training import check_trainable, is_main_process, train_model_vocoder
from distill.library.catalog import resolve_model
from distill.progress import Progress as ProgressEvent
from distill.progress import TrainingCancelled
from distill.vocoders.verdict import CURVE, curve_figures

CURVE_HEADER = (
    "Held-out generation-path distance (recordings encoded and decoded by the model, then vocoded; "
    "lower is closer to the recordings):"
)


def curve_line(event: ProgressEvent, figures: dict[str, float], seconds: float) -> str:
    """One point of the held-out curve: `step 400 (3.2 min): HiFi-GAN 1.214, Griffin-Lim 1.350 (ahead by 10 %)`."""
    values = list(figures.items())
    line = f"  step {int(event.completed)} ({seconds / 60:.1f} min): " + ", ".join(f"{k} {v:.3f}" for k, v in values)
    if len(values) == 2 and values[1][1] > 0:
        (own, mine), (baseline, theirs) = values
        change = (theirs - mine) / theirs * 100
        line += f" ({own} {'ahead' if change > 0 else 'behind'} of {baseline} by {abs(change):.0f} %)"
    return line


@app.command("train-vocoder")
def train_vocoder(
    ctx: typer.Context,
    model_ref: str = typer.Option(..., "--model", help="Model name, id or path."),
    vocoder: str = typer.Option("hifigan", "--vocoder", help="A vocoder plugin that can learn per model."),
    epochs: int | None = typer.Option(None, "--epochs", min=1, help="Passes over the model's audio."),
    max_steps: int | None = typer.Option(None, "--max-steps", min=1, help="Optimizer steps (instead of --epochs)."),
    recipe: str | None = typer.Option(None, "--recipe", help="Training recipe (hifigan: fast, paper)."),
    batch_size: int | None = typer.Option(None, "--batch-size", min=1, help="Global batch (recipe's by default)."),
    learning_rate: float | None = typer.Option(None, "--learning-rate", help="Recipe's by default."),
    segment_frames: int | None = typer.Option(None, "--segment-frames", min=1, help="Mel frames per example."),
    warmup_steps: int | None = typer.Option(
        None, "--warmup-steps", min=0, help="Generator-only steps before the discriminators join."
    ),
    resume: bool = typer.Option(False, "--resume", help="Continue from the last checkpoint."),
    init_from: str | None = typer.Option(
        None, "--init-from", help="Warm start: a model with a vocoder, or a checkpoint."
    ),
    data: Path | None = typer.Option(None, "--data", help="Where the model's recordings are now, if they moved."),
    discriminator_width: int | None = typer.Option(
        None, "--discriminator-width", min=1, help="Divide discriminator channels (recipe's by default)."
    ),
    nproc_per_node: int = typer.Option(
        1, NPROC_OPTION, min=1, help="Data-parallel processes (torch.distributed: NCCL on CUDA, gloo on CPU)."
    ),
) -> None:
    """Train a model's own vocoder on its recordings minus a held-out tenth, judge it on those, store both."""
    if epochs is not None and max_steps is not None:
        raise DistillError("Give either --epochs or --max-steps, not both.")
    if learning_rate is not None and not 0 < learning_rate < 1:
        raise DistillError(f"--learning-rate must be a positive number below 1, not {learning_rate:g}.")
    check_trainable(vocoder)
    model = resolve_model(model_ref)
    dataset = model_training_audio(model, data)
    run_dir = vocoder_run_dir(model)
    if nproc_per_node > 1:
        if batch_size is not None and batch_size % nproc_per_node:
            raise DistillError(
                f"A batch of {batch_size} does not split evenly over {nproc_per_node} processes; "
                f"choose a --batch-size that is a multiple of {nproc_per_node}."
            )
        code = launch_workers(nproc_per_node, stop_file(run_dir))
        if code:
            raise typer.Exit(code)
        return
    config = training_config(
        model,
        epochs=epochs,
        max_steps=max_steps,
        recipe=recipe,
        batch_size=batch_size,
        learning_rate=learning_rate,
        segment_frames=segment_frames,
        warmup_steps=warmup_steps,
        resume=resume,
        init_from=initial_weights(init_from, vocoder) if init_from else None,
        device=str(device_of(ctx)),
        discriminator_width=discriminator_width,
    )
    main = is_main_process()
    header = (
        f"Training '{vocoder}' for '{model.name}' on {len(dataset)} recordings (a tenth held out to judge it); "
        f"run folder {run_dir}"
    )
    columns = (
        TextColumn("[bold]vocoder"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[losses]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=stderr, transient=True, disable=not main) as bars:
        task = bars.add_task("train", total=None, losses="")

        def show(event: ProgressEvent) -> None:
            if bars.tasks[0].total is None:  # the first report: the run is under way, its options were sound
                bars.console.print(header, highlight=False, markup=False)
                bars.console.print(CURVE_HEADER, highlight=False, markup=False)
            curve = curve_figures(event.metrics)
            if curve:  # the held-out check: one line of the curve
                bars.console.print(curve_line(event, curve, time.perf_counter() - started), highlight=False)
            losses = "  ".join(f"{k} {v:.3f}" for k, v in event.metrics.items() if not k.startswith(CURVE))
            bars.update(task, completed=event.completed, total=event.total, losses=losses)

        try:
            model = train_model_vocoder(model, vocoder, dataset, config, show)
        except TrainingCancelled as cancelled:
            if main and cancelled.state is not None:  # the vocoder so far was stored and judged
                print_verdict(model)
            raise
    if main:
        print_verdict(model)
        typer.echo(f"Stored the trained {vocoder} vocoder and its verdict in {model.path}.")
