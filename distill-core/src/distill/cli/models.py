"""`distill model list|info|delete`."""

from __future__ import annotations

import logging

import typer
from rich.markup import escape
from rich.table import Table

from distill.cli.app import app
from distill.cli.common import JSON_OPTION
from distill.cli.output import plain, print_json, stdout_console
from distill.cli.verdict import print_verdict
from distill.data.segmenting import ONE_SHOT
from distill.errors import DistillError
from distill.library.catalog import (
    ModelSummary,
    delete_model,
    describe_model,
    rename_model,
    resolve_model,
    scan_library,
)
from distill.models.diagnostics import health_sentence, resemblance_sentence

log = logging.getLogger(__name__)

model_app = typer.Typer(help="Manage the models in your library.", no_args_is_help=True)
app.add_typer(model_app, name="model")


@model_app.command("list")
def list_command(json_output: bool = JSON_OPTION) -> None:
    """List the models in the library (and which carry their own vocoder); unusable files are named on stderr."""
    scan = scan_library()
    for _, reason in scan.unreadable:
        log.warning("%s", reason)
    summaries = [ModelSummary.of(m) for m in scan.models]
    if json_output:
        print_json([s.to_dict() for s in summaries])
        return
    table = Table("name", "id", "own vocoder", "sliders", "files", "created")
    for s in summaries:
        cells = (s.name, s.id, s.vocoder or "-", s.sliders, s.num_files or "-", s.created or "-")
        table.add_row(*map(plain, cells))
    stdout_console().print(table)


@model_app.command("info")
def info_command(model_ref: str = typer.Argument(..., metavar="MODEL"), json_output: bool = JSON_OPTION) -> None:
    """Everything about one model: sliders, training data, vocoder."""
    model = resolve_model(model_ref)
    info = describe_model(model)
    if json_output:
        print_json(info)
        return
    console = stdout_console()
    console.print(f"[bold]{escape(model.name)}[/]  id {model.id}\n{escape(str(model.path))}")
    console.print(f"own vocoder: {info['vocoder'] or 'none (auto picks a universal one)'}", markup=False)
    if info["vocoder_verdict"]:
        print_verdict(model, console)
    console.print(f"generates: {info['mode']}s" if info["mode"] == ONE_SHOT else "generates: textures", markup=False)
    console.print(f"health: {health_sentence(info['health'])}", markup=False)
    console.print(f"resemblance: {resemblance_sentence(info['resemblance'])}", markup=False)
    for s in info["sliders"]:
        console.print(
            f"  slider {s['index']}: {s['name']:<12} {s['minimum']:g} .. {s['maximum']:g}"
            f"  ({100 * s['explained_variance']:.1f} % of variance)",
            markup=False,
        )


@model_app.command("delete")
def delete_command(
    model_ref: str = typer.Argument(..., metavar="MODEL"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Delete a model file from the library."""
    model = resolve_model(model_ref)
    if not yes:
        if json_output:
            raise DistillError("Pass --yes to delete a model without a confirmation prompt.")
        typer.confirm(f"Delete model '{model.name}' ({model.path})?", abort=True)
    delete_model(model)
    if json_output:
        print_json({"deleted": ModelSummary.of(model).to_dict()})
    else:
        typer.echo(f"Deleted model '{model.name}'.")


@model_app.command("rename")
def rename_command(
    model_ref: str = typer.Argument(..., metavar="MODEL"),
    new_name: str = typer.Argument(..., metavar="NEW_NAME"),
    json_output: bool = JSON_OPTION,
) -> None:
    """Rename a model in the library (its id, presets and vocoder stay)."""
    old = resolve_model(model_ref).name
    model = rename_model(model_ref, new_name)
    if json_output:
        print_json(ModelSummary.of(model).to_dict())
    else:
        typer.echo(f"Renamed '{old}' to '{model.name}' ({model.path}).")
