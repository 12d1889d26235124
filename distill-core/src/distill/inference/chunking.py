"""Joining overlapping decoded segments into one seamless mel of any length."""

from __future__ import annotations

import math

import torch


def chunk_count(total_frames: int, segment_frames: int, hop_frames: int) -> int:
    """Segments needed to cover `total_frames` when each starts `hop_frames` after the last."""
    return max(1, math.ceil(max(0, total_frames - segment_frames) / hop_frames) + 1)


def overlap_add(segments: torch.Tensor, hop_frames: int, total_frames: int) -> torch.Tensor:
    """`[K, n_mels, segment_frames] -> [n_mels, total_frames]` by weighted overlap-add.

    Each segment is weighted by a raised-cosine window and the sum divided by the summed
    weights, so every frame is a convex blend of its neighbours: no level dip and no
    step at any joint.
    """
    count, n_mels, length = segments.shape
    window = torch.hann_window(length + 2, periodic=False, dtype=segments.dtype, device=segments.device)[1:-1]
    span = (count - 1) * hop_frames + length
    out = torch.zeros(n_mels, span, dtype=segments.dtype, device=segments.device)
    weight = torch.zeros(span, dtype=segments.dtype, device=segments.device)
    for k in range(count):
        start = k * hop_frames
        out[:, start : start + length] += segments[k] * window
        weight[start : start + length] += window
    return (out / weight.clamp_min(1e-8))[:, :total_frames]
