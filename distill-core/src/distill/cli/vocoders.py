"""`distill vocoders list|evaluate`: what is installed (and what is broken and why); a model's vocoder verdict."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from distill.cli.common import JSON_OPTION, device_of
from distill.cli.output import print_json, rich_progress, stdout_console
from distill.cli.root import app
from distill.cli.verdict import print_verdict
from distill.library.catalog import resolve_model
from distill.vocoders import get_registry
from distill.vocoders.evaluation import evaluate_model_vocoder

vocoders_app = typer.Typer(help="Inspect the installed vocoder plugins.", no_args_is_help=True)
app.add_typer(vocoders_app, name="vocoders")


@vocoders_app.command("list")
def list_vocoders(json_output: bool = typer.Option(False, "--json", help="Print JSON on stdout.")) -> None:
    """List vocoder plugins with their distribution, version and status."""
    records = get_registry().records()
    if json_output:
        print_json([record.to_dict() for record in records])
        return
    table = Table("name", "distribution", "version", "status", "error")
    for r in records:
        status = "[green]ok[/]" if r.status == "ok" else "[red]broken[/]"
        table.add_row(r.name, r.distribution or "-", r.version or "-", status, r.error or "")
    stdout_console().print(table)


@vocoders_app.command("evaluate")
def evaluate_vocoder(
    ctx: typer.Context,
    model_ref: str = typer.Option(..., "--model", help="Model name, id or path."),
    data: Path | None = typer.Option(None, "--data", help="Where the model's recordings are now, if they moved."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Judge a model's own vocoder again on its held-out recordings against Griffin-Lim (and BigVGAN when
    its weights are here), and store the verdict that `auto` obeys."""
    model = resolve_model(model_ref)
    with rich_progress() as progress:
        verdict = evaluate_model_vocoder(model, data, device_of(ctx), progress=progress)
    if json_output:
        print_json(verdict)
        return
    print_verdict(model)
