"""`distill generate`: new sounds from a model, any length, any vocoder, any output format."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
import typer

from distill.audio.export import FORMATS, ExportSettings
from distill.audio.spatial import MODES, render_spatial
from distill.cli.common import JSON_OPTION, device_of, load_vocoder_for, parse_sliders
from distill.cli.output import print_json, stderr
from distill.cli.root import app
from distill.controls.analysis import LatentAnalysis
from distill.errors import DistillError
from distill.inference.blending import Blend, compatible, parse_blend
from distill.inference.pipeline import generate as render
from distill.inference.render import ensure_writable, output_path, write_output
from distill.library import history
from distill.library.catalog import resolve_model
from distill.library.presets import load_preset
from distill.models.format import DistillModel
from distill.paths import generated_dir


@dataclass
class Spatial:
    mode: str = "mono"
    width: float = 1.0
    azimuth: float = 30.0
    hrtf: Path | None = None


@app.command()
def generate(
    ctx: typer.Context,
    model_ref: str = typer.Argument(..., metavar="MODEL", help="Model name, id or path."),
    count: int = typer.Option(1, "-n", "--count", min=1, max=1000, help="How many files."),
    duration: float = typer.Option(4.0, "-d", "--duration", help="Seconds per file."),
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
    if spatial_mode not in MODES:
        raise DistillError(f"Unknown spatial mode '{spatial_mode}'; choose one of {', '.join(MODES)}.")
    if hrtf is not None and not hrtf.is_file():
        raise DistillError(f"HRTF file not found: {hrtf}.")
    requested_blend = parse_blend(blend) if blend else None
    model = resolve_model(model_ref)
    values = {**(load_preset(model, preset) if preset else {}), **parse_sliders(slider)}
    folder = ensure_writable(output_dir or generated_dir() / model.name)
    first = seed if seed is not None else secrets.randbelow(2**31)
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
        Spatial(spatial_mode, width, azimuth, hrtf),
        requested_blend,
        announce=not json_output,
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
    spatial: Spatial | None = None,
    blend: Blend | None = None,
    announce: bool = True,
) -> list[dict[str, Any]]:
    """Render `count` files with seeds `first_seed`, `first_seed + 1`, ...; record each in the history."""
    spatial = spatial or Spatial()
    analysis = LatentAnalysis.from_dict(model.latent_analysis) if model.latent_analysis else None
    if analysis is not None:
        analysis.validate(values)
    blend_with = None
    if blend is not None:
        other = resolve_model(blend.other)
        other_vocoder = None if compatible(model, other) else load_vocoder_for("auto", other, device)
        blend_with = (other, blend.weight, other_vocoder)
    vocoder = load_vocoder_for(vocoder_name, model, device)
    named = {s.name: values.get(s.index, s.default) for s in analysis.sliders} if analysis else {}
    rate = model.spectrogram.sample_rate
    records = []
    for k in range(count):
        file_seed = first_seed + k
        mono = render(
            model, duration=duration, seed=file_seed, sliders=values, vocoder=vocoder, device=device, blend=blend_with
        )
        wav = render_spatial(mono, rate, spatial.mode, spatial.width, spatial.azimuth, spatial.hrtf, file_seed)
        record = {
            "model": model.name,
            "model_id": model.id,
            "seed": file_seed,
            "sliders": named,
            "vocoder": vocoder.name,
            "spatial": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(spatial).items()},
            "blend": {
                "model": blend.other,
                "weight": blend.weight,
                "method": "latent" if compatible(model, blend_with[0]) else "audio",
            }
            if blend
            else None,
        }
        path = output_path(folder, f"{model.name}-s{file_seed}", settings.format)
        document = write_output(wav, rate, path, settings, record)
        document["history_id"] = history.record(document, wav)
        records.append(document)
        if announce:
            stderr.print(f"[{k + 1}/{count}] {path} (seed {file_seed}, vocoder {vocoder.name})", highlight=False)
    return records
