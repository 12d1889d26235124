"""The curve a user can trust while a model's own vocoder trains: held-out generation-path distance,
the vocoder's against the baseline's.

The plugin calls the host's `Judge` (`HeldOutCurve`) every few hundred steps with its
vocoder as it is; the held-out recordings never leave the host, the plugin only gets the
figures back (and reports them, so the CLI prints them and the UI charts them, a line
per vocoder). A few short clips keep each call to about a second on a CPU; the
baseline's figure is measured once.
"""

from __future__ import annotations

import math

import torch

from distill.audio.metrics import multires_stft_distance
from distill.errors import DistillError
from distill.host.generation_path import PathClip, path_clip, render_clip
from distill.host.loading import load_named
from distill.host.registry import VocoderRegistry, get_registry
from distill.models.format import DistillModel
from distill.vocoders.output import VocoderFault
from distill.vocoders.types import TrainingAudio, Vocoder
from distill.vocoders.verdict import BASELINE, GENERATION, curve_metric

CURVE_CLIPS = 8  # held-out recordings per check
CURVE_SECONDS = 1.5  # of each, at most


class HeldOutCurve:
    """A `Judge`: the mean multi-resolution STFT distance of a vocoder's generation-path renders of a
    few held-out recordings, beside the baseline's on the same clips."""

    def __init__(
        self,
        model: DistillModel,
        held_out: TrainingAudio,
        device: torch.device | str = "cpu",
        registry: VocoderRegistry | None = None,
    ) -> None:
        self.model = model
        self.device = torch.device(device)
        self.registry = registry or get_registry()
        limit = int(CURVE_SECONDS * held_out.sample_rate)
        order = sorted(range(len(held_out)), key=held_out.name)[:CURVE_CLIPS]
        self.clips = [path_clip(model, held_out.name(i), held_out[i][:limit], GENERATION, self.device) for i in order]
        self.baseline: float | None = None

    def distance(self, vocoder: Vocoder) -> float:
        """Mean distance of `vocoder`'s renders from the recordings (lower is better)."""
        with torch.inference_mode():
            return sum(self._one(vocoder, clip) for clip in self.clips) / len(self.clips)

    def _one(self, vocoder: Vocoder, clip: PathClip) -> float:
        return multires_stft_distance(clip.reference, render_clip(vocoder, clip, self.model))

    def __call__(self, vocoder: Vocoder) -> dict[str, float]:
        """Figures by metric name (`curve_metric`): this vocoder's, and the baseline's when it can render.

        A render that breaks the output contract gives no figure rather than stopping the training.
        """
        if not self.clips:
            return {}
        if self.baseline is None:
            self.baseline = self._baseline()
        try:
            figures = {curve_metric(vocoder.name): round(self.distance(vocoder), 4)}
        except VocoderFault:
            return {}
        if self.baseline == self.baseline:  # not NaN: the baseline could render
            figures[curve_metric(BASELINE)] = round(self.baseline, 4)
        return figures

    def _baseline(self) -> float:
        """The baseline's distance on the clips, or NaN when it is missing or fails."""
        try:
            return self.distance(load_named(BASELINE, self.model, self.device, self.registry))
        except (DistillError, VocoderFault):
            return math.nan
