"""`distill vocoders list`: what is installed, and what is broken and why."""

from __future__ import annotations

import typer
from rich.table import Table

from distill.cli.output import plain, print_json, stdout_console
from distill.cli.root import app
from distill.vocoders import get_registry

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
        table.add_row(
            plain(r.name), plain(r.distribution or "-"), plain(r.version or "-"), status, plain(r.error or "")
        )
    stdout_console().print(table)
