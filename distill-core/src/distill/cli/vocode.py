"""`distill vocode`: analysis-resynthesis of a real file through any vocoder."""

from __future__ import annotations

from pathlib import Path

import typer

from distill.cli.app import app
from distill.cli.common import JSON_OPTION, device_of
from distill.cli.output import print_json, rich_progress
from distill.inference.vocode import vocode_file
from distill.library.catalog import resolve_model


@app.command()
def vocode(
    ctx: typer.Context,
    audio_file: Path = typer.Argument(..., help="A recording to pass through mel and back."),
    output: Path = typer.Option(..., "-o", "--output", help="Output file; its suffix picks the format."),
    model_ref: str | None = typer.Option(None, "--model", help="Use this model's mel config and own vocoder."),
    vocoder_name: str = typer.Option("auto", "--vocoder", help="auto or a vocoder plugin name."),
    compare: bool = typer.Option(False, "--compare", help="Also measure the distance from the original."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Resynthesise AUDIO_FILE through a vocoder (to hear what the vocoder does)."""
    model = resolve_model(model_ref) if model_ref else None
    with rich_progress() as progress:
        document = vocode_file(audio_file, output, model, vocoder_name, device_of(ctx), progress, compare)
    if json_output:
        print_json({"files": [document]})
        return
    typer.echo(f"Wrote {output} (vocoder {document['vocoder']})")
    if compare:
        figures = document["comparison"]
        pesq = figures["pesq_wb"]
        typer.echo(
            f"Against the original: multi-resolution STFT distance {figures['multires_stft_distance']:.3f}, "
            f"SNR {figures['snr_db']:.1f} dB, wideband PESQ {f'{pesq:.2f}' if pesq is not None else 'n/a'}"
        )
