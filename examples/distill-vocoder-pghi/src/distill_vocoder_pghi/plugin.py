"""Hook implementations: always available; ranked just below Griffin-Lim (see the README's figures)."""

from __future__ import annotations

from distill.vocoders import hookimpl, model_spectrogram_config
from distill_vocoder_pghi.vocoder import PGHIVocoder

NAME = "pghi"
PRIORITY = 90  # below griffinlim (100): on real recordings it does not beat it (see the README)


@hookimpl
def vocoder_priority(model):
    return PRIORITY


@hookimpl
def load_vocoder(name, model, device):
    if name != NAME:
        return None
    return PGHIVocoder(model_spectrogram_config(model)).to(device)
