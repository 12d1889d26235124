"""The Typer app and its global options; each command module registers its commands on it (`cli/main.py` runs it)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import typer

from distill.cli.output import say
from distill.devices import DEVICE_CHOICES, resolve_device

app = typer.Typer(
    name="distill",
    help="Turn a personal sound collection into a playable generative instrument.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@dataclass
class CliState:
    """Global options, handed to every command through `ctx.obj`."""

    device: str = "auto"


class _StderrHandler(logging.Handler):
    """Shows library warnings (vocoder fallback, skipped files) as one line each on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        style = "yellow" if record.levelno >= logging.WARNING else "dim"
        label = "Warning: " if record.levelno >= logging.WARNING else ""
        say(f"{label}{record.getMessage()}", style=style)


@app.callback()
def main_options(
    ctx: typer.Context,
    device: str = typer.Option("auto", "--device", help=f"Compute device: {'|'.join(DEVICE_CHOICES)}."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show informational messages too."),
) -> None:
    """Global options."""
    resolve_device(device)  # fail early, in one sentence, on a device this machine lacks
    ctx.obj = CliState(device=device)
    logger = logging.getLogger("distill")
    logger.handlers[:] = [_StderrHandler()]
    logger.setLevel(logging.INFO if verbose else logging.WARNING)
    logger.propagate = False
