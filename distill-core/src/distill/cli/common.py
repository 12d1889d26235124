"""Helpers shared by command modules: device, models, vocoders with progress, slider parsing."""

from __future__ import annotations

import math

import torch
import typer

from distill.cli.output import rich_progress
from distill.devices import resolve_device
from distill.errors import DistillError
from distill.models.format import DistillModel
from distill.vocoders import select_vocoder
from distill.vocoders.types import Vocoder

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document on stdout; logs go to stderr.")


def device_of(ctx: typer.Context) -> torch.device:
    return resolve_device(ctx.obj.device if ctx.obj else "auto")


def load_vocoder_for(requested: str, model: DistillModel | None, device: torch.device) -> Vocoder:
    """Select (and if needed download) a vocoder, drawing any progress with Rich on stderr."""
    with rich_progress() as progress:
        return select_vocoder(requested, model, device, progress=progress)


def parse_sliders(specs: list[str]) -> dict[int, float]:
    """`["0:1.5", "2:-1"] -> {0: 1.5, 2: -1.0}`; one sentence for anything else."""
    values: dict[int, float] = {}
    for spec in specs:
        index, sep, value = spec.partition(":")
        try:
            if not sep:
                raise ValueError
            values[int(index)] = float(value)
            if not math.isfinite(values[int(index)]):
                raise ValueError
        except ValueError:
            raise DistillError(f"Slider setting '{spec}' is not of the form INDEX:VALUE (e.g. 0:1.5).") from None
    return values
