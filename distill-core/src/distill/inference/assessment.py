"""Does a freshly trained model sound like its collection? The check a training run ends with.

A model can be healthy (its latents alive, its reconstructions good) and still generate
sounds that are not its collection's. So training ends by generating a small batch with
the baseline vocoder and scoring it against the collection with `audio.resemblance`,
next to what the collection scores against itself: one random half of it is the
reference, the other half is scored the same way as the generated batch.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import torch

from distill.audio.resampling import resample
from distill.audio.resemblance import EXCERPT_SECONDS, RATE, feature_matrix, score
from distill.errors import DistillError
from distill.host.selector import select_vocoder
from distill.inference.pipeline import generate
from distill.models.format import DistillModel

log = logging.getLogger(__name__)

SOUNDS = 24  # generated for the check
FAST_VOCODER = "griffinlim"  # always installed with the app, and the fastest first-party renderer


def assess(model: DistillModel, collection: torch.Tensor, device: torch.device | str = "cpu") -> dict[str, Any] | None:
    """Generate `SOUNDS` sounds and score them against `collection` (`audio.resemblance.collection_features`).

    Returns the figures stored as the model's `resemblance` metadata, or None (with a
    log line) when the fast vocoder is not installed.
    """
    started = time.perf_counter()
    try:
        vocoder = select_vocoder(FAST_VOCODER, model, torch.device(device))
    except DistillError as exc:
        log.warning("Skipped checking how the model's sounds resemble its collection: %s", exc)
        return None
    rate = model.spectrogram.sample_rate
    sounds = [
        resample(
            generate(model, duration=EXCERPT_SECONDS, seed=seed, sliders={}, vocoder=vocoder, device=device), rate, RATE
        )
        for seed in range(SOUNDS)
    ]
    order = torch.randperm(collection.shape[0], generator=torch.Generator().manual_seed(1))
    half = collection.shape[0] // 2
    reference, others = collection[order[:half]], collection[order[half:]][:SOUNDS]
    generated, itself = score(reference, feature_matrix(sounds)), score(reference, others)
    return {
        "coverage": round(generated.coverage, 3),
        "density": round(generated.density, 3),
        "mmd_ratio": round(generated.mmd_ratio, 3),
        "spread": round(generated.spread, 3),
        "collection_coverage": round(itself.coverage, 3),
        "collection_mmd_ratio": round(itself.mmd_ratio, 3),
        "sounds": SOUNDS,
        "vocoder": vocoder.name,
        "seconds": round(time.perf_counter() - started, 1),
    }
