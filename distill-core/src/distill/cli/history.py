"""`distill history list|show|delete|compare`: every generation, and A/B between two."""

from __future__ import annotations

import typer
from rich.table import Table

from distill.cli.app import app
from distill.cli.common import JSON_OPTION
from distill.cli.output import plain, print_json, stdout_console
from distill.library import history

history_app = typer.Typer(help="Browse and compare past generations.", no_args_is_help=True)
app.add_typer(history_app, name="history")


@history_app.command("list")
def list_command(json_output: bool = JSON_OPTION) -> None:
    """Every recorded generation, oldest first."""
    entries = history.list_entries()
    if json_output:
        print_json([{k: v for k, v in e.items() if k != "thumbnail"} for e in entries])
        return
    table = Table("id", "model", "seed", "vocoder", "duration", "file")
    for e in entries:
        duration = e.get("duration")
        seconds = f"{duration:g} s" if isinstance(duration, int | float) else "-"
        cells = (e["id"], e.get("model"), e.get("seed"), e.get("vocoder"), seconds, e.get("path"))
        table.add_row(*map(plain, cells))
    stdout_console().print(table)


@history_app.command("show")
def show_command(entry_id: str = typer.Argument(..., metavar="ID"), json_output: bool = JSON_OPTION) -> None:
    """One entry, settings and quality report included."""
    entry = history.get_entry(entry_id)
    if json_output:
        print_json(entry)
        return
    bars = "▁▂▃▄▅▆▇█"
    overview = "".join(bars[min(7, int(min(v, 1.0) * 8))] for v in entry.get("thumbnail", []))
    stdout_console().print({k: v for k, v in entry.items() if k != "thumbnail"})
    typer.echo(overview)


@history_app.command("delete")
def delete_command(entry_id: str = typer.Argument(..., metavar="ID"), json_output: bool = JSON_OPTION) -> None:
    """Forget one entry (the audio file stays)."""
    entry = history.delete_entry(entry_id)
    print_json({"deleted": entry["id"]}) if json_output else typer.echo(f"Deleted history entry {entry['id']}.")


@history_app.command("compare")
def compare_command(
    a: str = typer.Argument(...), b: str = typer.Argument(...), json_output: bool = JSON_OPTION
) -> None:
    """A/B: two entries' settings and quality side by side, differences highlighted."""
    result = history.compare(a, b)
    if json_output:
        print_json(result)
        return
    table = Table("", "A", "B")
    for key in ("id", "path", *history.COMPARED):
        style = "bold yellow" if key in result["differences"] else None
        table.add_row(key, plain(result["a"].get(key)), plain(result["b"].get(key)), style=style)
    quality = [q if isinstance(q, dict) else {} for q in (result["a"]["quality"], result["b"]["quality"])]
    for key in ("peak_dbfs", "loudness_lufs", "clipped_samples", "silent"):
        table.add_row(key, plain(quality[0].get(key)), plain(quality[1].get(key)))
    stdout_console().print(table)
