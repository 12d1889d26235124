"""Where generation draws its latents: near the collection's own sounds, moved by the sliders.

A VAE's decoder only learned to decode the latents its encoder produced for the
collection. Samples from the prior N(0, I) fall between the collection's sounds and decode
to blurred averages of them, so generation draws near the collection's own posteriors
(the "anchors" kept by the latent analysis): a kernel density estimate around them. A
posterior alone is narrow (on drum kits its spread is a few percent of the distance to
the next sound), so a draw from it would decode to a near copy of one recording; the
kernel is therefore at least `BANDWIDTH` of the collection's spread wide in every
dimension, about half the way to a neighbouring sound. The sliders displace every draw
along their PCA directions. Which anchor a seed starts from follows a fixed tour of them
(`anchor_tour`), so a batch of consecutive seeds spreads over the whole collection.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from distill.controls.analysis import LatentAnalysis

BANDWIDTH = 0.3  # the narrowest kernel, in units of the collection's per-dimension latent spread
WALK_CORRELATION = 0.85  # how much each chunk's noise keeps of the previous chunk's
WALK_SPREAD = 0.35  # legacy walk: stationary size, in units of the collection's latent spread
JUMP_CHANCE = 0.1  # a texture leaves its recording's own order at this share of chunks ...
NEIGHBOURS = 8  # ... for one of this many anchors nearest to where the recording went next
QUIET_DB = 20.0  # a texture starts and jumps only where the collection is at most this far under its median level
TOUR_SEED = 0  # the fixed shuffle `anchor_tour` walks through


def one_shot_latents(analysis: LatentAnalysis, sliders: Mapping[int, float], count: int, seed: int) -> torch.Tensor:
    """`[count, latent_dim]` draws near the collection's sounds: the anchors of `anchor_tour` from `seed` on."""
    g = torch.Generator().manual_seed(seed)
    anchors, widths = analysis.anchors, _kernel_widths(analysis)
    picked = anchor_tour(anchors.shape[0], seed, count)
    noise = torch.randn(count, anchors.shape[1], generator=g)
    return anchors[picked] + widths[picked] * noise + analysis.offset(sliders)


def texture_latents(analysis: LatentAnalysis, sliders: Mapping[int, float], count: int, seed: int) -> torch.Tensor:
    """`[count, latent_dim]` for consecutive chunks of a texture, seeded.

    The path moves the way the collection's own segments follow each other: from each
    anchor usually to its successor in its recording, and with `JUMP_CHANCE` (or at a
    recording's end) to one of the successor's nearest neighbours, somewhere else in the
    collection that sounds like what would have come next; starts and jumps land only
    where the collection goes on and sounds (`_landings`). So a texture has the
    collection's events and pace but is a new sequence, not a replay. Kernel noise
    correlated from chunk to chunk varies each chunk. Models from before anchors were
    kept wander around the slider point instead (`legacy_walk`); models from before
    successors were kept move to a neighbour at every chunk.
    """
    if analysis.anchors is None:
        return legacy_walk(analysis, sliders, count, seed)
    g = torch.Generator().manual_seed(seed)
    anchors, widths = analysis.anchors, _kernel_widths(analysis)
    successors = analysis.successors if analysis.successors is not None else torch.full((anchors.shape[0],), -1)
    landings = _landings(analysis, successors)
    path = [int(landings.nonzero()[anchor_tour(int(landings.sum()), seed)[0], 0])]
    while len(path) < count:
        following = int(successors[path[-1]])
        if following < 0 or float(torch.rand((), generator=g)) < JUMP_CHANCE:
            following = _near(anchors, following if following >= 0 else path[-1], landings, g)
        path.append(following)
    index = torch.tensor(path)
    return anchors[index] + widths[index] * _correlated_noise(count, anchors.shape[1], g) + analysis.offset(sliders)


def _landings(analysis: LatentAnalysis, successors: torch.Tensor) -> torch.Tensor:
    """`[N]` bool: anchors a path may start at or jump to.

    Only where the collection goes on, so a path never strands in its recordings'
    endings, and only where it sounds: a path started in the silence before a track
    (or led there by a jump from a track's last segment) stays quiet, and peak
    normalisation raises it into hiss (2 of the shared music's 40 textures were raised
    by 27 and 44 dB; with a 30 dB threshold, 5 of 160 were still raised by 23-30 dB,
    quieter than any of its 4-second excerpts). Rules that would leave nothing are dropped.
    """
    rules = [successors >= 0]
    if analysis.anchor_levels is not None:
        rules.append(analysis.anchor_levels > -QUIET_DB)
    allowed = torch.ones(successors.shape[0], dtype=torch.bool)
    for rule in rules:
        if bool((allowed & rule).any()):
            allowed = allowed & rule
    return allowed


def _near(anchors: torch.Tensor, key: int, eligible: torch.Tensor, g: torch.Generator) -> int:
    """One of the `NEIGHBOURS` `eligible` anchors nearest to anchor `key` (itself excluded), at random."""
    distances = (anchors - anchors[key]).pow(2).sum(dim=1).masked_fill(~eligible, float("inf"))
    distances[key] = float("inf")
    candidates = int(torch.isfinite(distances).sum())
    if candidates == 0:
        return key
    near = distances.topk(min(NEIGHBOURS, candidates), largest=False).indices
    return int(near[torch.randint(0, near.numel(), (1,), generator=g)])


def legacy_walk(analysis: LatentAnalysis, sliders: Mapping[int, float], count: int, seed: int) -> torch.Tensor:
    """`count` latents wandering around the slider point (models without anchors)."""
    g = torch.Generator().manual_seed(seed)
    spread = torch.tensor(analysis.spread or [1.0] * len(analysis.mean))
    return analysis.to_latent(sliders) + WALK_SPREAD * spread * _correlated_noise(count, spread.numel(), g)


def anchor_tour(anchors: int, seed: int, count: int = 1) -> torch.Tensor:
    """Anchor indices `[count]` for seeds `seed`, `seed + 1`, ...: every anchor once before any repeats.

    Independent draws clump by chance: the demo's seeds 0-39 drew a drum's anchor 16 times
    and a pluck's 4 times (the collection has 8 of each), so its 40 sounds leaned to drums.
    A fixed shuffle walked in seed order keeps each seed's sound its own and deterministic,
    and makes `-n N` a tour of the collection.
    """
    order = torch.randperm(anchors, generator=torch.Generator().manual_seed(TOUR_SEED))
    return order[torch.tensor([(seed + k) % anchors for k in range(count)])]


def _kernel_widths(analysis: LatentAnalysis) -> torch.Tensor:
    return kernel_widths(analysis.anchor_scales, torch.tensor(analysis.spread, dtype=analysis.anchor_scales.dtype))


def kernel_widths(anchor_scales: torch.Tensor, spread: torch.Tensor) -> torch.Tensor:
    """Per-anchor kernel widths `[N, latent_dim]`: the posterior's, or the floor where that is wider."""
    return torch.maximum(anchor_scales, BANDWIDTH * spread)


def _correlated_noise(count: int, dim: int, g: torch.Generator) -> torch.Tensor:
    """`[count, dim]` unit-variance noise, each row correlated with the last (an AR(1) walk)."""
    innovation = (1 - WALK_CORRELATION**2) ** 0.5
    state = torch.randn(dim, generator=g)
    rows = []
    for _ in range(count):
        rows.append(state)
        state = WALK_CORRELATION * state + innovation * torch.randn(dim, generator=g)
    return torch.stack(rows)
