"""Training presets: how long and how hard to regularise, by the size of the collection.

A preset sets a budget of optimiser steps; the number of epochs follows from the
collection's size, so a kit of 30 one-shots and a folder of long recordings both get a
model that has converged, in about the same time. Small collections overfit fast, so
they get stronger augmentation and weight decay.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace

from distill.errors import DistillError
from distill.models.vae import VAEConfig

REFERENCE_FRAMES = 128  # segment length `batch_size` is given for; longer segments get smaller batches
# Texture segments (long recordings): a latent per 0.34 s. With 1.4 s segments (128 frames) music's
# textures covered 0.13 of its excerpts and trained in 350 s; with these 0.26, in 160 s (README).
TEXTURE_FRAMES = 32


@dataclass(frozen=True)
class TrainingPreset:
    name: str
    steps: int  # optimiser updates the run aims for
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    beta: float = 1.0  # KL weight against the per-segment reconstruction (see models/losses.py)
    free_bits: float = 0.1  # nats per latent dimension the KL may spend unpenalised
    warmup_fraction: float = 0.2  # share of the run over which beta ramps up from 0
    gain_db: float = 6.0  # augmentation: random gain, +/- dB
    validation_fraction: float = 0.15
    seed: int = 0
    epochs: int | None = None  # a fixed epoch count (`--epochs`) instead of the step budget
    # The second phase (training/adversarial.py): the decoder alone against a mel critic.
    sharpen_share: float = 0.33  # its steps, as a share of the first phase's
    sharpen_learning_rate: float = 2e-4
    recon_weight: float = 3.0  # L1 on the standardised level mel
    feature_weight: float = 2.0  # the critic's features of a recording and of its reconstruction
    generated_weight: float = 1.0  # the adversarial term of decodings drawn as generation draws them
    vae: VAEConfig = field(default_factory=lambda: VAEConfig(channels=(16, 32, 64, 128), segment_frames=TEXTURE_FRAMES))

    def to_dict(self) -> dict:
        data = asdict(self)
        data["vae"] = self.vae.to_dict()
        return data

    def batch_for(self, segment_frames: int, segments: int) -> int:
        """The batch for this segment length, never more than the collection holds."""
        scaled = max(1, round(self.batch_size * REFERENCE_FRAMES / segment_frames))
        return max(1, min(scaled, segments))

    def for_collection(self, segment_frames: int, segments: int) -> TrainingPreset:
        """This preset with its batch and epoch count fixed for a collection of `segments`."""
        batch = self.batch_for(segment_frames, segments)
        epochs = self.epochs or max(1, round(self.steps / math.ceil(segments / batch)))
        return replace(self, batch_size=batch, epochs=epochs)


PRESETS: dict[str, TrainingPreset] = {
    "small": TrainingPreset("small", steps=1200, weight_decay=1e-3, gain_db=9.0),
    "medium": TrainingPreset("medium", steps=1200, batch_size=16),  # 131 drum one-shots: about 2.5 minutes on 2 cores
    "large": TrainingPreset("large", steps=2000, weight_decay=1e-5, gain_db=3.0),
    # The README's main job: a model of the demo collection in under a minute and a half on 2 cores.
    # 600 steps at 2e-3 reconstructed as well but generated far from the collection (coverage 0.34).
    "demo": TrainingPreset(
        "demo",
        steps=1500,
        batch_size=16,
        learning_rate=1e-3,
        vae=VAEConfig(latent_dim=16, channels=(16, 32, 64, 128), segment_frames=TEXTURE_FRAMES),
    ),
}


def choose_preset(name: str, num_files: int, epochs: int | None = None) -> TrainingPreset:
    """`auto` picks by collection size (<= 50 files small, <= 200 medium, else large)."""
    if name == "auto":
        name = "small" if num_files <= 50 else "medium" if num_files <= 200 else "large"
    if name not in PRESETS:
        raise DistillError(f"Unknown training preset '{name}'; choose one of auto, {', '.join(PRESETS)}.")
    preset = PRESETS[name]
    if epochs is not None:
        if epochs < 1:
            raise DistillError("--epochs must be at least 1.")
        preset = replace(preset, epochs=epochs)
    return preset
