"""PCA over the latent space: the directions the collection varies most become sliders.

The analysis also keeps the collection's own posteriors (one per training segment, the
"anchors"): generation samples near them, where the decoder was trained, rather than
from the prior, whose samples fall between the collection's sounds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from distill.audio.spectrogram import SpectrogramConfig
from distill.controls.features import AUDIBLE_CHANGE, mel_features
from distill.errors import DistillError
from distill.models.vae import VAE

MIN_SLIDERS, MAX_SLIDERS = 4, 8
EXPLAINED_TARGET = 0.9
PROBE = 2.0  # a slider's name comes from decoding +/- this many standard deviations
PROBE_ANCHORS = 16  # ... around this many of the collection's sounds
MAX_ANCHORS = 16384  # posteriors kept with the model (at most 4 MB with their scales)
ANCHOR_BLOCK = 64  # a longer collection keeps runs of this many consecutive segments, so paths survive


@dataclass
class Slider:
    """One musical control; its value is in standard deviations of the collection along it."""

    index: int
    name: str
    minimum: float
    maximum: float
    default: float
    explained_variance: float


@dataclass
class LatentAnalysis:
    mean: list[float]
    components: list[list[float]]  # [n_sliders, latent_dim], unit vectors
    scales: list[float]  # standard deviation of the collection along each component
    sliders: list[Slider]
    spread: list[float] = field(default_factory=list)  # per-dim std of the latents, for variation
    anchors: torch.Tensor | None = None  # [N, latent_dim] posterior means of the collection's segments
    anchor_scales: torch.Tensor | None = None  # [N, latent_dim] their posterior standard deviations
    # [N] the anchor of the segment that follows each one in its recording, -1 at an end (texture models)
    successors: torch.Tensor | None = None
    # [N] dB of each anchor's loudest frame against the collection's median segment (texture models)
    anchor_levels: torch.Tensor | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LatentAnalysis:
        return cls(**{**data, "sliders": [Slider(**s) for s in data["sliders"]]})

    def validate(self, values: Mapping[int, float]) -> None:
        """One sentence for a slider index that does not exist or a value out of range."""
        for index, value in values.items():
            if not 0 <= index < len(self.sliders):
                raise DistillError(f"Slider {index} does not exist; this model has sliders 0-{len(self.sliders) - 1}.")
            s = self.sliders[index]
            if not s.minimum <= value <= s.maximum:
                raise DistillError(
                    f"Slider {index} ({s.name}) takes values from {s.minimum:g} to {s.maximum:g}, not {value:g}."
                )

    def offset(self, values: Mapping[int, float]) -> torch.Tensor:
        """Slider values (index -> value; missing = default) -> a latent displacement `[latent_dim]`."""
        self.validate(values)
        shift = torch.zeros(len(self.mean))
        for s in self.sliders:
            value = values.get(s.index, s.default)
            shift = shift + value * self.scales[s.index] * torch.tensor(self.components[s.index])
        return shift

    def to_latent(self, values: Mapping[int, float]) -> torch.Tensor:
        """Slider values -> the latent `[latent_dim]` they point at from the collection's centre."""
        return torch.tensor(self.mean) + self.offset(values)


def kept_anchors(owners: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Which segments (given the recording each came from, in order) become anchors, and each one's successor.

    All of them up to `MAX_ANCHORS`; beyond that, random runs of `ANCHOR_BLOCK`
    consecutive segments. A successor is the index, among the kept, of the next segment
    of the same recording, or -1.
    """
    count = owners.shape[0]
    keep = torch.arange(count)
    if count > MAX_ANCHORS:
        blocks = torch.randperm(-(-count // ANCHOR_BLOCK), generator=torch.Generator().manual_seed(0))
        chosen = blocks[: MAX_ANCHORS // ANCHOR_BLOCK]
        keep = keep[torch.isin(keep // ANCHOR_BLOCK, chosen)]
    position = torch.full((count + 1,), -1, dtype=torch.long)
    position[keep] = torch.arange(keep.numel())
    following = torch.where(owners[keep.clamp_max(count - 2) + 1] == owners[keep], keep + 1, count)
    following[keep == count - 1] = count
    return keep, position[following]


@torch.no_grad()
def analyse_latents(
    vae: VAE, segments: torch.Tensor, config: SpectrogramConfig, owners: torch.Tensor | None = None
) -> LatentAnalysis:
    """PCA of the collection's latent means; 4-8 sliders covering ~90 % of the variance.

    `owners` (the recording of each segment, for texture models whose segments follow
    each other) keeps the order of the collection's segments as anchor successors.
    """
    vae.eval()
    stats = [vae.encode(segments[i : i + 64]) for i in range(0, segments.shape[0], 64)]
    mu, logvar = torch.cat([s[0] for s in stats]), torch.cat([s[1] for s in stats])
    mean = mu.mean(dim=0)
    centred = mu - mean
    _, singular, vh = torch.linalg.svd(centred, full_matrices=False)
    variance = singular.pow(2) / max(1, mu.shape[0] - 1)
    ratio = variance / variance.sum().clamp_min(1e-12)
    wanted = int((ratio.cumsum(0) < EXPLAINED_TARGET).sum()) + 1
    count = max(MIN_SLIDERS, min(MAX_SLIDERS, wanted, vh.shape[0]))
    count = min(count, vh.shape[0])
    scales = variance[:count].sqrt().clamp_min(1e-6)
    keep, successors = kept_anchors(owners if owners is not None else torch.arange(mu.shape[0]))
    anchors, anchor_scales = mu[keep], (0.5 * logvar[keep]).exp()
    names, signs = _name_components(vae, anchors[:PROBE_ANCHORS], vh[:count], scales, config)
    components = vh[:count] * signs[:, None]
    projections = centred @ components.T / scales
    sliders = [
        Slider(
            index=i,
            name=names[i],
            minimum=round(min(-PROBE, float(projections[:, i].min())) * 1.1, 2),
            maximum=round(max(PROBE, float(projections[:, i].max())) * 1.1, 2),
            default=0.0,
            explained_variance=round(float(ratio[i]), 4),
        )
        for i in range(count)
    ]
    return LatentAnalysis(
        mean=mean.tolist(),
        components=components.tolist(),
        scales=scales.tolist(),
        sliders=sliders,
        spread=mu.std(dim=0).clamp_min(1e-6).tolist() if mu.shape[0] > 1 else [1.0] * mu.shape[1],
        anchors=anchors.contiguous(),
        anchor_scales=anchor_scales.contiguous(),
        successors=successors if owners is not None else None,
        anchor_levels=segment_levels(segments)[keep].contiguous() if owners is not None else None,
    )


def segment_levels(segments: torch.Tensor) -> torch.Tensor:
    """`[N, n_mels, frames]` log1p mel segments -> `[N]` dB of each one's loudest frame against the median segment's."""
    loudest = 10 * torch.log10(torch.expm1(segments).clamp_min(0).sum(dim=1).amax(dim=-1) + 1e-12)
    return loudest - loudest.median()


def _name_components(
    vae: VAE, bases: torch.Tensor, components: torch.Tensor, scales: torch.Tensor, config: SpectrogramConfig
) -> tuple[list[str], torch.Tensor]:
    """Name each axis after the feature that changes most (in z-score) along it, audibly.

    The change is measured around each of `bases` (some of the collection's own sounds)
    and averaged, since that is where generation moves along the sliders. Also returns
    a sign per axis that makes moving the slider up increase its feature.
    """
    probes = torch.stack(
        [
            base + sign * PROBE * scales[i] * components[i]
            for i in range(len(components))
            for sign in (-1, 1)
            for base in bases
        ]
    )
    features = {
        name: values.view(len(components), 2, len(bases)).mean(dim=-1).flatten()
        for name, values in mel_features(vae.decode(probes), config).items()
    }
    names, signs, used = [], torch.ones(len(components)), set()
    for i in range(len(components)):
        change = {}
        for feature, values in features.items():
            step = float(values[2 * i + 1] - values[2 * i])
            if abs(step) >= AUDIBLE_CHANGE[feature]:
                change[feature] = step / float(values.std().clamp_min(1e-9))
        ranked = sorted(change, key=lambda f: -abs(change[f]))
        choice = next((f for f in ranked if f not in used and abs(change[f]) > 0.5), None)
        if choice is None:
            names.append(f"texture {i + 1}")
            continue
        used.add(choice)
        names.append(choice)
        signs[i] = 1.0 if change[choice] > 0 else -1.0
    return names, signs
