"""A short preview of the sliders' sound, quick enough to follow a slider as it is released.

Not a generation: nothing is written, nothing recorded. The sound is a one-shot as the
model makes it (at most `duration`), or the first `TEXTURE_SECONDS` of a texture, through
the fastest vocoder that is good for the model: its own, once it has beaten the baseline (a
HiFi-GAN renders many times faster than real time), else Griffin-Lim, which is always there
and about nine times faster than real time on two cores. A universal neural vocoder
(BigVGAN) is left to the full render: on a CPU it takes longer than the sound lasts. The
vocoder is loaded once per model and kept, so a preview costs a decode and a render.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import torch

from distill.audio.export import DEFAULT_CEILING_DB, export_gain
from distill.data.segmenting import TEXTURE, generation_mode
from distill.host.checked import CheckedVocoder
from distill.host.selector import select_vocoder
from distill.inference.pipeline import generate
from distill.models.format import DistillModel
from distill.vocoders.verdict import BASELINE, own_vocoder_proven

TEXTURE_SECONDS = 2.0
ONE_SHOT_SECONDS = 4.0
KEPT = 4  # vocoders kept loaded, one per recently previewed model

_loaded: dict[tuple[str, str, str], CheckedVocoder] = {}


@dataclass
class Preview:
    audio: torch.Tensor  # mono float32 `[samples]`
    sample_rate: int
    vocoder: str
    render_seconds: float  # decode and render, the vocoder's loading aside when it was kept


def preview_vocoder(model: DistillModel) -> str:
    """The fastest good vocoder for `model`: its own when proven, else the baseline."""
    return model.vocoder_type if own_vocoder_proven(model) else BASELINE


def _vocoder(model: DistillModel, device: torch.device) -> CheckedVocoder:
    key = (model.id, str(model.metadata.get("created")), preview_vocoder(model))
    if key not in _loaded:
        while len(_loaded) >= KEPT:
            _loaded.pop(next(iter(_loaded)))
        _loaded[key] = select_vocoder(key[2], model, device)
    return _loaded[key]


def render_preview(
    model: DistillModel, sliders: Mapping[int, float], seed: int, duration: float, device: torch.device
) -> Preview:
    """The preview of `model` at `sliders` and `seed`, peak-normalised as an export would be."""
    vocoder = _vocoder(model, device)
    longest = TEXTURE_SECONDS if generation_mode(model) == TEXTURE else ONE_SHOT_SECONDS
    started = time.perf_counter()
    audio = generate(model, duration=min(duration, longest), seed=seed, sliders=sliders, vocoder=vocoder, device=device)
    taken = time.perf_counter() - started
    gain, _ = export_gain(float(audio.abs().max()) if audio.numel() else None, DEFAULT_CEILING_DB)
    audio = audio * gain
    return Preview(audio, model.spectrogram.sample_rate, vocoder.name, taken)
