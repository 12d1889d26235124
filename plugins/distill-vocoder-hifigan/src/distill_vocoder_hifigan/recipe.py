"""Training recipes: how a per-model HiFi-GAN V2 learns (the network it ends as is the same).

`paper` is the HiFi-GAN paper's: adversarial from the first step, mel L1 x45, constant
learning rate. `fast` is tuned for CPU budgets (bench_hifigan.py measures both): the
generator first learns alone on spectral losses (a multi-resolution STFT log-magnitude
L1 beside the mel L1), a step about six times cheaper than one with discriminators,
with a higher, decaying learning rate on shorter segments; narrow discriminators then
join to take out what spectral losses leave (buzz, phase smear).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from distill.vocoders import DistillError


@dataclass(frozen=True)
class Recipe:
    """Everything about a run except its length."""

    name: str
    warmup_steps: int  # generator alone on spectral losses before the discriminators join
    stft_weight: float  # multi-resolution STFT log-magnitude L1, relative to the mel L1
    learning_rate: float
    lr_half_life: int | None  # steps for the learning rate to halve; None keeps it constant
    segment_frames: int  # frames per example (x hop samples)
    batch_size: int  # global: split over the processes of a distributed run
    discriminator_width: int  # divides the paper's discriminator channel counts
    gradient_clip: float | None = None  # the generator's gradient norm limit
    decoded_share: float = 0.0  # examples rendered from the model's decoded mel rather than the recording's own
    discriminator_warmup: int = 0  # after the warm-up, steps the discriminators train alone before they judge
    discriminator: str = "msd"  # beside the multi-period one: "msd" multi-scale (paper), "mrd" multi-resolution STFT
    convergence_weight: float = 0.0  # spectral convergence (linear magnitudes: the attack's level), relative to mel L1
    audible_start: bool = False  # a fresh generator starts as a working upsampler at the recordings' level

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def learning_rate_at(self, step: int) -> float:
        """The learning rate for optimizer step `step` (0-based); a pure function, so resuming needs no state."""
        if self.lr_half_life is None:
            return self.learning_rate
        return self.learning_rate * 0.5 ** (step / self.lr_half_life)


RECIPES = {
    "paper": Recipe("paper", 0, 0.0, 2e-4, None, 32, 4, 1),
    "fast": Recipe("fast", 6000, 1.0, 1e-3, 3000, 16, 4, 4, 10.0, decoded_share=0.5),
}
DEFAULT = "fast"


def choose_recipe(name: str, **overrides: Any) -> Recipe:
    """A named recipe with the given fields replaced (None leaves a field as the recipe has it)."""
    if name not in RECIPES:
        raise DistillError(f"Unknown training recipe '{name}'; choose one of: {', '.join(RECIPES)}.")
    return replace(RECIPES[name], **{k: v for k, v in overrides.items() if v is not None})
