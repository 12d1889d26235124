"""Hook implementations: lowest priority, always available."""

from __future__ import annotations

from distill.vocoders import hookimpl, model_spectrogram_config
from distill_vocoder_griffinlim.vocoder import GriffinLimVocoder

NAME = "griffinlim"
PRIORITY = 100


@hookimpl
def vocoder_priority(model):
    return PRIORITY


@hookimpl
def load_vocoder(name, model, device):
    if name != NAME:
        return None
    return GriffinLimVocoder(model_spectrogram_config(model)).to(device)
