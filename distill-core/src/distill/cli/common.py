"""Helpers shared by command modules: the device option, JSON option, slider parsing."""

from __future__ import annotations

import torch
import typer

from distill.devices import resolve_device
from distill.errors import DistillError

JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document on stdout; logs go to stderr.")


def device_of(ctx: typer.Context) -> torch.device:
    return resolve_device(ctx.obj.device if ctx.obj else "auto")


def parse_sliders(specs: list[str]) -> dict[int, float]:
    """`["0:1.5", "2:-1"] -> {0: 1.5, 2: -1.0}`; one sentence for anything else."""
    values: dict[int, float] = {}
    for spec in specs:
        index, sep, value = spec.partition(":")
        try:
            if not sep:
                raise ValueError
            values[int(index)] = float(value)
        except ValueError:
            raise DistillError(f"Slider setting '{spec}' is not of the form INDEX:VALUE (e.g. 0:1.5).") from None
    return values
