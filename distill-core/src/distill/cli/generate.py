"""`distill generate`: new sounds from a model, any length, any vocoder."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import torch
import typer

from distill.audio.export import FORMATS, ExportSettings
from distill.cli.common import JSON_OPTION, device_of, load_vocoder_for, parse_sliders
from distill.cli.output import print_json, stderr
from distill.cli.root import app
from distill.controls.analysis import LatentAnalysis
from distill.inference.pipeline import generate as render
from distill.inference.render import ensure_writable, output_path, write_output
from distill.library.catalog import resolve_model
from distill.models.format import DistillModel
from distill.paths import generated_dir


@app.command()
def generate(
    ctx: typer.Context,
    model_ref: str = typer.Argument(..., metavar="MODEL", help="Model name, id or path."),
    count: int = typer.Option(1, "-n", "--count", min=1, max=1000, help="How many files."),
    duration: float = typer.Option(4.0, "-d", "--duration", help="Seconds per file."),
    vocoder_name: str = typer.Option("auto", "--vocoder", help="auto or a vocoder plugin name."),
    seed: int | None = typer.Option(None, "--seed", help="First seed; file k uses seed + k."),
    slider: list[str] = typer.Option([], "--slider", help="INDEX:VALUE, repeatable."),
    fmt: str = typer.Option("wav", "--format", help=f"{'|'.join(FORMATS)}."),
    bit_depth: int = typer.Option(24, "--bit-depth", help="16, 24 or 32 (32 = float WAV)."),
    sample_rate: int = typer.Option(48000, "--sample-rate", help="Output rate: 44100, 48000 or 96000."),
    ceiling: float = typer.Option(-1.0, "--ceiling", help="Peak-normalise to this many dBFS."),
    output_dir: Path | None = typer.Option(None, "--output-dir", help="Where to write (default: the data dir)."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Generate new sounds with a trained model."""
    settings = ExportSettings(fmt, bit_depth, sample_rate, ceiling)
    settings.validate()
    values = parse_sliders(slider)
    model = resolve_model(model_ref)
    folder = ensure_writable(output_dir or generated_dir() / model.name)
    first = seed if seed is not None else secrets.randbelow(2**31)
    records = generate_files(
        model, count, duration, vocoder_name, first, values, settings, folder, device_of(ctx), announce=not json_output
    )
    if json_output:
        print_json({"files": records})
    else:
        typer.echo(f"Wrote {count} file{'s' if count != 1 else ''} to {folder}")


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
    announce: bool = True,
) -> list[dict[str, Any]]:
    """Render `count` files with seeds `first_seed`, `first_seed + 1`, ...; returns their records."""
    analysis = LatentAnalysis.from_dict(model.latent_analysis) if model.latent_analysis else None
    if analysis is not None:
        analysis.validate(values)
    vocoder = load_vocoder_for(vocoder_name, model, device)
    named = {s.name: values.get(s.index, s.default) for s in analysis.sliders} if analysis else {}
    records = []
    for k in range(count):
        file_seed = first_seed + k
        wav = render(model, duration=duration, seed=file_seed, sliders=values, vocoder=vocoder, device=device)
        record = {
            "model": model.name,
            "model_id": model.id,
            "seed": file_seed,
            "sliders": named,
            "vocoder": vocoder.name,
        }
        path = output_path(folder, f"{model.name}-s{file_seed}", settings.format)
        records.append(write_output(wav, model.spectrogram.sample_rate, path, settings, record))
        if announce:
            stderr.print(f"[{k + 1}/{count}] {path} (seed {file_seed}, vocoder {vocoder.name})", highlight=False)
    return records
