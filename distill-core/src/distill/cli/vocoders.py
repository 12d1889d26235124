"""`distill vocoders list|evaluate|install|uninstall|download`: what is installed, how `auto` ranks
it, what is broken and why; a model's vocoder verdict; adding and removing plugins; fetching
a vocoder's weights ahead of its first use."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from distill.cli.app import app
from distill.cli.common import JSON_OPTION, device_of
from distill.cli.output import plain, print_json, rich_progress, say, stdout_console
from distill.cli.verdict import print_verdict
from distill.errors import DistillError
from distill.host.assets import fetch_assets
from distill.host.evaluation import evaluate_model_vocoder
from distill.host.installer import LAST_RESORT, distribution_of, install_plugin, is_first_party, run_installer
from distill.host.selector import rank_vocoders
from distill.host.survey import VocoderStatus, survey_vocoders
from distill.library.catalog import resolve_model
from distill.vocoders.verdict import RESYNTHESIS

vocoders_app = typer.Typer(help="Inspect the installed vocoder plugins.", no_args_is_help=True)
app.add_typer(vocoders_app, name="vocoders")


def _status_cell(row: VocoderStatus) -> str:
    record = row.record
    if not record.active:
        loser, winner = escape(record.distribution or "?"), escape(str(record.shadowed_by))
        return f"[dim]inactive: {loser} loses the name to {winner}[/]"
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
            plain(r.name),
            plain(r.distribution or "-"),
            plain(r.version or "-"),
            _status_cell(row),
            "-" if row.priority is None else str(row.priority),
            "-" if row.auto_rank is None else f"#{row.auto_rank}",
            _load_cell(row),
            plain(r.error or row.load_error or ""),
        )
    console = stdout_console()
    console.print(table)
    order = [row.record.name for row in sorted((row for row in rows if row.auto_rank), key=lambda row: row.auto_rank)]
    nothing = "nothing: no vocoder can serve it"
    if model is None:
        console.print(
            f"auto for no model (analysis-resynthesis) tries: {', '.join(order) or nothing}",
            highlight=False,
            markup=False,
        )
        return
    console.print(
        f"auto for model '{model.name}' (generate) tries: {', '.join(order) or nothing}", highlight=False, markup=False
    )
    resynthesis = rank_vocoders(model, purpose=RESYNTHESIS)
    console.print(
        f"auto for model '{model.name}' (vocode) tries: {', '.join(resynthesis) or nothing}",
        highlight=False,
        markup=False,
    )


PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True}


@vocoders_app.command("install", context_settings=PASS_THROUGH)
def install_vocoder(
    ctx: typer.Context,
    spec: str = typer.Argument(..., help="What pip takes: a name, name==version, a wheel, a folder, a URL."),
) -> None:
    """Install a vocoder plugin into Distill's own environment (extra options go to pip, e.g. --find-links DIR).

    Refused if it would replace anything Distill relies on; rolled back if it brings no vocoder.
    """
    added = install_plugin(spec, ctx.args)
    say(f"Installed {spec}; new vocoders: {', '.join(added) or 'none (its vocoders were installed already)'}.")


@vocoders_app.command("uninstall")
def uninstall_vocoder(
    name: str = typer.Argument(..., help="The vocoder's name, as `distill vocoders list` shows it."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before removing the last-resort vocoder."),
) -> None:
    """Remove the distribution that provides vocoder NAME from Distill's own environment."""
    distribution = distribution_of(name)
    if name == LAST_RESORT and not yes:
        question = f"{name} is the vocoder auto falls back on when every other fails. Uninstall it anyway?"
        if not (sys.stdin.isatty() and typer.confirm(question)):
            raise DistillError(
                f"Nothing was uninstalled: {name} is the vocoder that serves every model when the others cannot; "
                "pass --yes to remove it anyway."
            )
    if is_first_party(distribution):
        say(f"Warning: {distribution} is one of Distill's own plugins.", style="yellow")
    run_installer("uninstall", [distribution])
    say(f"Uninstalled {distribution} (vocoder '{name}').")


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


@vocoders_app.command("download")
def download_vocoder(
    name: str = typer.Argument(..., help="The vocoder whose weights to fetch now, e.g. bigvgan."),
) -> None:
    """Download what vocoder NAME needs before its first use (BigVGAN: its weights), so no render waits for it."""
    with rich_progress() as progress:
        assets = fetch_assets(name, progress)
    say(f"{assets.title[:1].upper()}{assets.title[1:]} is ready in {assets.folder}.")
