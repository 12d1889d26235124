"""Joining overlapping decoded segments into one seamless mel of any length."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch


def chunk_count(total_frames: int, segment_frames: int, hop_frames: int) -> int:
    """Segments needed to cover `total_frames` when each starts `hop_frames` after the last."""
    return max(1, math.ceil(max(0, total_frames - segment_frames) / hop_frames) + 1)


def overlap_add(segments: Iterable[torch.Tensor], hop_frames: int, total_frames: int) -> torch.Tensor:
    """Segments `[n_mels, segment_frames]`, each `hop_frames` after the last -> `[n_mels, total_frames]`.

    Each segment is weighted by a raised-cosine window and the sum divided by the summed
    weights, so every frame is a convex blend of its neighbours: no level dip and no
    step at any joint. `segments` may be a generator: only the result is held whole.
    """
    out = weight = window = None
    for k, segment in enumerate(segments):
        if out is None:
            n_mels, length = segment.shape
            window = torch.hann_window(length + 2, periodic=False, dtype=segment.dtype, device=segment.device)[1:-1]
            out = segment.new_zeros(n_mels, total_frames + length)
            weight = segment.new_zeros(total_frames + length)
        start = k * hop_frames
        if start >= total_frames:
            break
        out[:, start : start + length] += segment * window
        weight[start : start + length] += window
    return out[:, :total_frames].div_(weight[:total_frames].clamp_min(1e-8))
