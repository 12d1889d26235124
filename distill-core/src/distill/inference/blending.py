"""Blending two models: `--blend other-model:40` puts 40 % of the other model into the sound.

The rule: two models are *compatible* when they share a mel configuration (they decode
into the same mel space). Then the blend happens before the vocoder: each model decodes
with the same seed (the primary from its slider point, the other from its centre), and
the decoded mels are mixed 60/40 into one representation that the primary model's
vocoder renders once. Otherwise (different mel spaces) each model is rendered to audio on
its own and the waveforms are mixed 60/40. Both are rendered in the primary model's
generation mode (one-shot or texture).
"""

from __future__ import annotations

from dataclasses import dataclass

from distill.errors import DistillError
from distill.models.format import DistillModel


@dataclass(frozen=True)
class Blend:
    other: str
    weight: float  # share of the other model, 0-1


def parse_blend(spec: str) -> Blend:
    """`"name:40"` -> Blend("name", 0.4); one sentence for anything else."""
    name, sep, percent = spec.rpartition(":")
    try:
        value = float(percent)
    except ValueError:
        value = -1.0
    if not sep or not name or not 0 <= value <= 100:
        raise DistillError(f"Blend '{spec}' is not of the form MODEL:PERCENT with a percentage from 0 to 100.")
    return Blend(name, value / 100)


def compatible(a: DistillModel, b: DistillModel) -> bool:
    """The same mel space: blendable before the vocoder."""
    return a.spectrogram == b.spectrogram
