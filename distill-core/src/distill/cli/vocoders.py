"""`distill vocoders list`: what is installed, how `auto` ranks it, and what is broken and why."""

from __future__ import annotations

import typer
from rich.table import Table

from distill.cli.common import JSON_OPTION, device_of
from distill.cli.output import print_json, stdout_console
from distill.cli.root import app
from distill.library.catalog import resolve_model
from distill.vocoders.survey import VocoderStatus, survey_vocoders

vocoders_app = typer.Typer(help="Inspect the installed vocoder plugins.", no_args_is_help=True)
app.add_typer(vocoders_app, name="vocoders")


def _status_cell(row: VocoderStatus) -> str:
    record = row.record
    if not record.active:
        return f"[dim]inactive: {record.distribution or '?'} loses the name to {record.shadowed_by}[/]"
    if record.status != "ok":
        return f"[red]broken[/] at {record.stage}"
    return "[green]ok[/]"


def _load_cell(row: VocoderStatus) -> str:
    return {"ok": "[green]ok[/]", "failed": "[red]failed[/]"}.get(row.load, "[dim]not tried[/]")


@vocoders_app.command("list")
def list_vocoders(
    ctx: typer.Context,
    model_ref: str | None = typer.Option(None, "--model", help="Rank for this model (default: no model)."),
    load: bool = typer.Option(False, "--load", help="Also load each vocoder (may download weights)."),
    json_output: bool = JSON_OPTION,
) -> None:
    """List vocoder plugins: distribution, version, status, priority and the order `auto` tries them in."""
    model = resolve_model(model_ref) if model_ref else None
    rows = survey_vocoders(model, load=load, device=device_of(ctx) if load else None)
    if json_output:
        print_json([row.to_dict() for row in rows])
        return
    table = Table("name", "distribution", "version", "status", "priority", "auto", "load", "error")
    for row in rows:
        r = row.record
        table.add_row(
            r.name,
            r.distribution or "-",
            r.version or "-",
            _status_cell(row),
            "-" if row.priority is None else str(row.priority),
            "-" if row.auto_rank is None else f"#{row.auto_rank}",
            _load_cell(row),
            r.error or row.load_error or "",
        )
    console = stdout_console()
    console.print(table)
    order = sorted((row for row in rows if row.auto_rank), key=lambda row: row.auto_rank)
    target = f"model '{model.name}'" if model is not None else "no model (analysis-resynthesis)"
    tries = ", ".join(row.record.name for row in order) or "nothing: no vocoder can serve it"
    console.print(f"auto for {target} tries: {tries}", highlight=False)
