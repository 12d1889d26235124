"""`distill preset list|save|delete`: named slider settings per model."""

from __future__ import annotations

import typer

from distill.cli.app import app
from distill.cli.common import JSON_OPTION, parse_sliders
from distill.cli.output import print_json
from distill.controls.analysis import LatentAnalysis
from distill.library.catalog import resolve_model
from distill.library.presets import delete_preset, list_presets, save_preset

preset_app = typer.Typer(help="Save and recall slider settings per model.", no_args_is_help=True)
app.add_typer(preset_app, name="preset")


@preset_app.command("list")
def list_command(model_ref: str = typer.Argument(..., metavar="MODEL"), json_output: bool = JSON_OPTION) -> None:
    """The presets saved for MODEL."""
    presets = list_presets(resolve_model(model_ref))
    if json_output:
        print_json(presets)
        return
    for name, preset in sorted(presets.items()):
        sliders = " ".join(f"{k}:{v:g}" for k, v in preset["sliders"].items())
        typer.echo(f"{name}: {sliders or '(all sliders at default)'}")


@preset_app.command("save")
def save_command(
    model_ref: str = typer.Argument(..., metavar="MODEL"),
    name: str = typer.Argument(...),
    slider: list[str] = typer.Option([], "--slider", help="INDEX:VALUE, repeatable."),
    json_output: bool = JSON_OPTION,
) -> None:
    """Save slider values under NAME (replacing a preset of that name)."""
    model = resolve_model(model_ref)
    values = parse_sliders(slider)
    if model.latent_analysis:
        LatentAnalysis.from_dict(model.latent_analysis).validate(values)
    preset = save_preset(model, name, values)
    print_json({name: preset}) if json_output else typer.echo(f"Saved preset '{name}' for '{model.name}'.")


@preset_app.command("delete")
def delete_command(
    model_ref: str = typer.Argument(..., metavar="MODEL"),
    name: str = typer.Argument(...),
    json_output: bool = JSON_OPTION,
) -> None:
    """Delete preset NAME of MODEL."""
    model = resolve_model(model_ref)
    delete_preset(model, name)
    print_json({"deleted": name}) if json_output else typer.echo(f"Deleted preset '{name}'.")
