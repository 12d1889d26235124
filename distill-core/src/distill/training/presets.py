"""Training presets: how long and how hard to regularise, by the size of the collection.

Small collections overfit fast, so they get more epochs over few examples but stronger
augmentation, weight decay and a larger KL weight; large ones the opposite.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from distill.errors import DistillError
from distill.models.vae import VAEConfig


@dataclass(frozen=True)
class TrainingPreset:
    name: str
    epochs: int
    batch_size: int = 16
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    beta: float = 0.01  # KL weight after warm-up
    warmup_fraction: float = 0.2  # share of epochs over which beta ramps up from 0
    gain_db: float = 6.0  # augmentation: random gain, +/- dB
    mask_probability: float = 0.3  # augmentation: one random frequency band masked
    validation_fraction: float = 0.15
    seed: int = 0
    vae: VAEConfig = field(default_factory=VAEConfig)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["vae"] = self.vae.to_dict()
        return data


PRESETS: dict[str, TrainingPreset] = {
    "small": TrainingPreset("small", epochs=150, weight_decay=1e-3, beta=0.02, gain_db=9.0, mask_probability=0.5),
    "medium": TrainingPreset("medium", epochs=80, batch_size=32),
    "large": TrainingPreset("large", epochs=40, batch_size=32, weight_decay=1e-5, gain_db=3.0, mask_probability=0.2),
    # The README's main job: a narrower net that learns the demo collection in ~2 min on 2 cores.
    "demo": TrainingPreset(
        "demo", epochs=300, batch_size=16, learning_rate=2e-3, vae=VAEConfig(latent_dim=16, channels=(16, 32, 64, 128))
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
