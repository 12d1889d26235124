"""`distill demo`: the main job on the embedded default collection, no user data needed."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from distill.audio.export import ExportSettings
from distill.cli.app import app
from distill.cli.common import device_of
from distill.cli.output import rich_progress, say
from distill.cli.train import train_with_progress
from distill.data.synthetic import write_demo_collection
from distill.inference.outputs import ensure_writable, generate_files
from distill.paths import data_dir, generated_dir

DEMO_MODEL = "distill-demo"


@app.command()
def demo(
    ctx: typer.Context,
    output_dir: Path | None = typer.Option(None, "--output-dir", help="Where the demo sounds go."),
    count: int = typer.Option(4, "-n", min=1, help="How many sounds to generate."),
    epochs: int | None = typer.Option(None, "--epochs", help="Override the demo preset's epochs."),
) -> None:
    """Synthesise a small built-in collection, train on it, generate sounds with the auto vocoder."""
    started = time.perf_counter()
    device = device_of(ctx)
    collection = data_dir() / "demo" / "collection"
    files = write_demo_collection(collection)
    say(f"Synthesised {len(files)} demo sounds in {collection}")
    model = train_with_progress(collection, DEMO_MODEL, preset="demo", epochs=epochs, device=device, overwrite=True)
    folder = ensure_writable(output_dir or generated_dir() / DEMO_MODEL)
    with rich_progress() as progress:
        records = generate_files(model, count, 4.0, "auto", 1, {}, ExportSettings(), folder, device, progress=progress)
    for record in records:
        typer.echo(record["path"])
    typer.echo(
        f"Demo finished in {time.perf_counter() - started:.0f} s: model '{model.name}' at {model.path}, "
        f"{len(records)} sounds (vocoder {records[0]['vocoder']}) in {folder}"
    )
