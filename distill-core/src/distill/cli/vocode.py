"""`distill vocode`: analysis-resynthesis of a real file through any vocoder."""

from __future__ import annotations

from pathlib import Path

import typer

from distill.audio.export import FORMATS, ExportSettings
from distill.audio.spectrogram import SpectrogramConfig
from distill.cli.common import JSON_OPTION, device_of
from distill.cli.output import print_json, rich_progress
from distill.cli.root import app
from distill.errors import DistillError
from distill.inference.pipeline import load_for_resynthesis, resynthesise
from distill.inference.render import ensure_writable, write_output
from distill.library.catalog import resolve_model
from distill.vocoders import select_vocoder


@app.command()
def vocode(
    ctx: typer.Context,
    audio_file: Path = typer.Argument(..., help="A recording to pass through mel and back."),
    output: Path = typer.Option(..., "-o", "--output", help="Output file; its suffix picks the format."),
    model_ref: str | None = typer.Option(None, "--model", help="Use this model's mel config and own vocoder."),
    vocoder_name: str = typer.Option("auto", "--vocoder", help="auto or a vocoder plugin name."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Resynthesise AUDIO_FILE through a vocoder (to hear what the vocoder does)."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise DistillError(f"Output suffix '{output.suffix}' is not supported; use .wav, .flac, .ogg or .mp3.")
    model = resolve_model(model_ref) if model_ref else None
    config = model.spectrogram if model else SpectrogramConfig()
    source = load_for_resynthesis(audio_file, config)  # a bad file fails before any vocoder download
    ensure_writable(output.parent)
    with rich_progress() as progress:  # open while rendering too: a fallback may need to download
        vocoder = select_vocoder(vocoder_name, model, device_of(ctx), progress=progress)
        wav = resynthesise(source, config, vocoder)
    settings = ExportSettings(
        fmt, 24, config.sample_rate if config.sample_rate in (44100, 48000, 96000) else 48000, None
    )
    record = {"source": str(audio_file), "model": model.name if model else None, "vocoder": vocoder.name}
    document = write_output(wav, config.sample_rate, output, settings, record)
    if json_output:
        print_json({"files": [document]})
    else:
        typer.echo(f"Wrote {output} (vocoder {vocoder.name})")
