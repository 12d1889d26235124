"""The latent path a texture walks: the collection's own order, new sequences, never into its silence."""

from __future__ import annotations

import itertools

import torch

from distill.controls import latents
from distill.controls.analysis import LatentAnalysis, kept_anchors, segment_levels


def _analysis(owners: torch.Tensor, levels: torch.Tensor | None = None) -> LatentAnalysis:
    """Anchors far apart on a line (anchor k at 100 k), so a latent names its anchor; no sliders."""
    count = owners.shape[0]
    keep, successors = kept_anchors(owners)
    anchors = (100.0 * torch.arange(count, dtype=torch.float32))[:, None].repeat(1, 2)
    return LatentAnalysis(
        mean=[0.0, 0.0],
        components=[],
        scales=[],
        sliders=[],
        spread=[1e-3, 1e-3],
        anchors=anchors[keep],
        anchor_scales=torch.full((keep.numel(), 2), 1e-4),
        successors=successors,
        anchor_levels=levels,
    )


def _walked(analysis: LatentAnalysis, count: int, seed: int) -> list[int]:
    return [round(float(z[0]) / 100) for z in latents.texture_latents(analysis, {}, count, seed)]


def test_successors_follow_each_recording_and_end_with_it():
    owners = torch.tensor([0, 0, 0, 1, 1, 2])
    keep, successors = kept_anchors(owners)
    assert keep.tolist() == [0, 1, 2, 3, 4, 5]
    assert successors.tolist() == [1, 2, -1, 4, -1, -1]


def test_a_texture_walks_its_recordings_order_and_jumps_only_now_and_then():
    owners = torch.arange(4).repeat_interleave(50)  # four recordings of 50 segments
    analysis = _analysis(owners)
    steps = [step for seed in range(10) for step in itertools.pairwise(_walked(analysis, 40, seed))]
    followed = sum(1 for a, b in steps if b == a + 1 and owners[a] == owners[b])
    assert 0.8 <= followed / len(steps) < 1.0  # JUMP_CHANCE = 0.1 of the steps leave the order


def test_a_texture_never_starts_or_lands_in_the_collections_silence():
    """A track's silent lead-in and its ending are where a path must not begin or jump to.

    Jumps land near where the recording went next, so a path at a track's last segment
    would jump to the silence nearest it; a texture started there stays silent and peak
    normalisation turns it into hiss.
    """
    owners = torch.arange(3).repeat_interleave(20)
    levels = torch.zeros(60)
    quiet = torch.tensor([0, 1, 2, 18, 19, 20, 21, 38, 39, 40, 58, 59])  # lead-ins and endings
    levels[quiet] = -60.0
    analysis = _analysis(owners, levels)
    landed = set()
    for seed in range(60):
        path = _walked(analysis, 30, seed)
        landed.add(path[0])
        landed.update(b for a, b in itertools.pairwise(path) if b != a + 1 or owners[a] != owners[b])
    assert landed and not landed & set(quiet.tolist())


def test_a_collection_that_is_all_quiet_still_makes_a_texture():
    owners = torch.zeros(10, dtype=torch.long)
    path = _walked(_analysis(owners, torch.full((10,), -50.0)), 12, seed=3)
    assert len(path) == 12


def test_segment_levels_are_against_the_median_segment():
    loud, soft = torch.log1p(torch.full((4, 8, 16), 1.0)), torch.log1p(torch.full((1, 8, 16), 1e-3))
    levels = segment_levels(torch.cat([loud, soft]))
    assert torch.allclose(levels[:4], torch.zeros(4), atol=1e-4)
    assert abs(float(levels[4]) + 30.0) < 0.01
