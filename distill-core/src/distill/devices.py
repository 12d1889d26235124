"""Choosing the torch device from the `--device auto|cpu|cuda|mps` option."""

from __future__ import annotations

import torch

from distill.errors import DistillError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str = "auto") -> torch.device:
    """`auto` picks CUDA, then MPS, then CPU; an explicit device must exist here."""
    if name not in DEVICE_CHOICES:
        raise DistillError(f"Unknown device '{name}'; choose one of {', '.join(DEVICE_CHOICES)}.")
    cuda = torch.cuda.is_available()
    mps = torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        raise DistillError(f"Device '{name}' is not available on this machine; use --device cpu or auto.")
    return torch.device(name)
