"""`distill generate`: new sounds from a model, any length, any vocoder, any output format."""

from __future__ import annotations

import secrets
from pathlib import Path

import typer

from distill.audio.export import FORMATS, ExportSettings
from distill.audio.spatial import MODES
from distill.cli.app import app
from distill.cli.common import JSON_OPTION, device_of, parse_sliders
from distill.cli.output import print_json, rich_progress, say
from distill.data.segmenting import MODES as GENERATION_MODES
from distill.errors import DistillError
from distill.inference.blending import parse_blend
from distill.inference.outputs import Spatial, ensure_writable, generate_files
from distill.library.catalog import resolve_model
from distill.library.presets import load_preset
from distill.paths import generated_dir


@app.command()
def generate(
    ctx: typer.Context,
    model_ref: str = typer.Argument(..., metavar="MODEL", help="Model name, id or path."),
    count: int = typer.Option(1, "-n", "--count", min=1, max=1000, help="How many files."),
    duration: float = typer.Option(
        4.0, "-d", "--duration", help="Seconds per file (one-shot mode: the longest a sound may ring)."
    ),
    mode: str = typer.Option("auto", "--mode", help="auto (the model's own), one-shot or texture."),
    vocoder_name: str = typer.Option("auto", "--vocoder", help="auto or a vocoder plugin name."),
    seed: int | None = typer.Option(None, "--seed", help="First seed; file k uses seed + k."),
    slider: list[str] = typer.Option([], "--slider", help="INDEX:VALUE, repeatable; overrides --preset."),
    preset: str | None = typer.Option(None, "--preset", help="Start from a saved slider preset."),
    blend: str | None = typer.Option(None, "--blend", help="OTHER-MODEL:PERCENT, e.g. pads:40."),
    fmt: str = typer.Option("wav", "--format", help=f"{'|'.join(FORMATS)}."),
    bit_depth: int = typer.Option(24, "--bit-depth", help="16, 24 or 32 (32 = float WAV)."),
    sample_rate: int = typer.Option(48000, "--sample-rate", help="Output rate: 44100, 48000 or 96000."),
    ceiling: float = typer.Option(-1.0, "--ceiling", help="Peak-normalise to this many dBFS."),
    spatial_mode: str = typer.Option("mono", "--spatial-mode", help=f"{'|'.join(MODES)}."),
    width: float = typer.Option(1.0, "--width", help="Stereo width, 0 (mono) to 2."),
    azimuth: float = typer.Option(30.0, "--azimuth", help="Binaural direction in degrees (+ = right)."),
    hrtf: Path | None = typer.Option(None, "--hrtf", help="A SOFA file for binaural (default: built-in)."),
    output_dir: Path | None = typer.Option(None, "--output-dir", help="Where to write (default: the data dir)."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Generate new sounds with a trained model."""
    settings = ExportSettings(fmt, bit_depth, sample_rate, ceiling)
    settings.validate()
    if mode not in ("auto", *GENERATION_MODES):
        raise DistillError(f"Unknown generation mode '{mode}'; choose auto, {', '.join(GENERATION_MODES)}.")
    if spatial_mode not in MODES:
        raise DistillError(f"Unknown spatial mode '{spatial_mode}'; choose one of {', '.join(MODES)}.")
    if hrtf is not None and not hrtf.is_file():
        raise DistillError(f"HRTF file not found: {hrtf}.")
    requested_blend = parse_blend(blend) if blend else None
    model = resolve_model(model_ref)
    values = {**(load_preset(model, preset) if preset else {}), **parse_sliders(slider)}
    folder = ensure_writable(output_dir or generated_dir() / model.name)
    first = seed if seed is not None else secrets.randbelow(2**31)
    spatial = Spatial(spatial_mode, width, azimuth, hrtf)
    announce = None if json_output else say
    with rich_progress() as progress:
        records = generate_files(
            model,
            count,
            duration,
            vocoder_name,
            first,
            values,
            settings,
            folder,
            device_of(ctx),
            spatial,
            requested_blend,
            progress,
            announce,
            mode=None if mode == "auto" else mode,
        )
    if json_output:
        print_json({"files": records})
    else:
        typer.echo(f"Wrote {count} file{'s' if count != 1 else ''} to {folder}")
