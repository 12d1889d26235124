"""Which way each slider moves the sound, measured where generation draws: both ends, across seeds.

A slider is named after the feature that changed most along its axis when the model was
analysed, from decodes around a few of the collection's sounds. What a musician hears is
the drawn sound at the slider's minimum against the same seed's at its maximum; that can
disagree with the name's sign (on a drum kit, "decay" at its maximum gave the *shorter*
sound: -20 dB after 0.16 s against 0.99 s at its minimum). So each slider is measured again
here, the way generation draws (`controls.latents`), over `SEEDS` seeds: the feature that
rises or falls between the ends in at least `AGREE` of them, audibly, says which end is
which ("shorter ↔ longer"); a slider along which nothing measurable changes is reported
as such, so a front end need not offer it. The length of a sound ("decay") is measured as
a musician hears it: the time its level stays within `RING_DB` of its peak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from distill.audio.spectrogram import SpectrogramConfig, mel_to_power
from distill.controls.analysis import LatentAnalysis
from distill.controls.features import AUDIBLE_CHANGE, mel_features
from distill.controls.latents import one_shot_latents, texture_latents
from distill.data.segmenting import ONE_SHOT, generation_mode
from distill.models.format import DistillModel
from distill.models.vae import build_vae

SEEDS = 8
DECODE_BATCH = 64
AGREE = 0.75  # share of seeds in which the feature must move the same way
RING_DB = 20.0
ENDS = {
    "brightness": ("darker", "brighter"),
    "noisiness": ("tonal", "noisy"),
    "loudness": ("quieter", "louder"),
    "decay": ("shorter", "longer"),
    "bass": ("less bass", "more bass"),
}


@dataclass(frozen=True)
class Direction:
    """What moving slider `index` from its minimum to its maximum does, as measured."""

    index: int
    feature: str | None  # the feature that changes along it; None when nothing measurable does
    rises: bool = True  # the feature grows from the minimum to the maximum
    agreement: float = 0.0  # the share of seeds that moved it that way

    @property
    def ends(self) -> tuple[str, str] | None:
        """(the minimum's word, the maximum's word), e.g. ("shorter", "longer"); None when nothing changes."""
        if self.feature is None:
            return None
        low, high = ENDS[self.feature]
        return (low, high) if self.rises else (high, low)


def ring_frames(mel: torch.Tensor) -> torch.Tensor:
    """Per example of `[B, n_mels, frames]`: frames from the peak until the level stays `RING_DB` below it."""
    energy = mel_to_power(mel).sum(dim=1)  # [B, frames]
    peak, at = energy.max(dim=1)
    frames = torch.arange(energy.shape[1]).expand_as(energy)
    loud = (energy >= peak[:, None] * 10 ** (-RING_DB / 10)) & (frames >= at[:, None])
    last = torch.where(loud, frames, torch.zeros_like(frames)).max(dim=1).values
    return (last - at + 1).float()


def sound_features(mel: torch.Tensor, config: SpectrogramConfig) -> dict[str, torch.Tensor]:
    """The features sliders are named after, per example; "decay" as the time a sound rings."""
    return {**mel_features(mel, config), "decay": ring_frames(mel)}


def _consistent(change: torch.Tensor, feature: str) -> tuple[float, float] | None:
    """(signed typical change, agreement) when the change is audible and shared by enough seeds."""
    typical = float(change.median())
    agreement = float((torch.sign(change) == (1.0 if typical > 0 else -1.0)).float().mean())
    if abs(typical) < AUDIBLE_CHANGE[feature] or agreement < AGREE:
        return None
    return typical, agreement


def measure_directions(
    analysis: LatentAnalysis,
    decode: Callable[[torch.Tensor], torch.Tensor],
    config: SpectrogramConfig,
    one_shot: bool,
    seeds: int = SEEDS,
) -> list[Direction]:
    """Every slider's `Direction`, from `decode(latents [N, latent_dim]) -> mels [N, n_mels, frames]`.

    A slider keeps the feature it is named after when that one moves consistently; otherwise
    (a "texture N" slider, or a name the measurement does not bear out) the feature that moves
    most, in units of what is audible, or none.
    """
    draw = one_shot_latents if one_shot else texture_latents
    latents = torch.cat(
        [
            draw(analysis, {slider.index: value}, 1, seed)
            for slider in analysis.sliders
            for value in (slider.minimum, slider.maximum)
            for seed in range(seeds)
        ]
    )
    features = sound_features(decode(latents), config)
    directions = []
    for slider in analysis.sliders:
        start = slider.index * 2 * seeds
        found: dict[str, tuple[float, float]] = {}
        for feature, values in features.items():
            low, high = values[start : start + seeds], values[start + seeds : start + 2 * seeds]
            shown = _consistent(high - low, feature)
            if shown is not None:
                found[feature] = shown
        if slider.name in found:
            chosen = slider.name
        else:
            chosen = max(found, key=lambda f: abs(found[f][0]) / AUDIBLE_CHANGE[f], default=None)
        if chosen is None:
            directions.append(Direction(slider.index, None))
        else:
            directions.append(Direction(slider.index, chosen, found[chosen][0] > 0, found[chosen][1]))
    return directions


@torch.no_grad()
def slider_directions(model: DistillModel, seeds: int = SEEDS) -> list[Direction]:
    """`measure_directions` of a model's sliders through its own decoder; none for a model without anchors."""
    if not model.latent_analysis:
        return []
    analysis = LatentAnalysis.from_dict(model.latent_analysis)
    one_shot = generation_mode(model) == ONE_SHOT
    if analysis.anchors is None and one_shot:
        return []
    vae = build_vae(model)

    def decode(latents: torch.Tensor) -> torch.Tensor:
        return torch.cat([vae.decode(latents[i : i + DECODE_BATCH]) for i in range(0, latents.shape[0], DECODE_BATCH)])

    return measure_directions(analysis, decode, model.spectrogram, one_shot, seeds)
