"""Hook implementations: above Griffin-Lim whenever the weights are here or can be fetched."""

from __future__ import annotations

import os

import torch

from distill.vocoders import VocoderUnavailable, hookimpl, model_spectrogram_config
from distill_vocoder_bigvgan.download import ensure_weights

NAME = "bigvgan"
COMPILE_SWITCH = "DISTILL_BIGVGAN_COMPILE"
PRIORITY = 200


@hookimpl
def vocoder_priority(model):
    """Always a candidate, even offline without weights: loading then fails with the hand-placement
    hint, so `auto` warns once, naming the folder, before falling back to Griffin-Lim."""
    return PRIORITY


@hookimpl
def load_vocoder(name, model, device, progress):
    if name != NAME:
        return None
    from distill_vocoder_bigvgan.generator import load_generator
    from distill_vocoder_bigvgan.vocoder import BigVGANVocoder

    folder = ensure_weights(progress)
    try:
        generator = load_generator(folder, device)
    except Exception as exc:
        raise VocoderUnavailable(
            f"The BigVGAN weights in {folder} are damaged or incomplete ({type(exc).__name__}); "
            "delete the folder to download them again, or replace the two files by hand."
        ) from exc
    if os.environ.get(COMPILE_SWITCH, "").strip() in ("1", "true", "yes"):
        # About 5 % faster on a 2-core CPU once compiled (bench_bigvgan.py), but compiling takes 40-110 s:
        # worth it for long renders only.
        generator = torch.compile(generator, dynamic=False)
    return BigVGANVocoder(generator, model_spectrogram_config(model))
