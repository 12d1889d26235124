"""Joining overlapping decoded segments into one seamless mel of any length."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch


def chunk_count(total_frames: int, segment_frames: int, hop_frames: int) -> int:
    """Segments needed to cover `total_frames` when each starts `hop_frames` after the last."""
    return max(1, math.ceil(max(0, total_frames - segment_frames) / hop_frames) + 1)


def joint_window(length: int, overlap: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """`[length]`: 1 in the middle, raised-cosine ramps over the `overlap` frames at each end."""
    window = torch.ones(length, device=device)
    if overlap > 0:
        ramp = 0.5 * (1 - torch.cos(torch.pi * torch.arange(1, overlap + 1, device=device) / (overlap + 1)))
        window[:overlap] = ramp
        window[length - overlap :] = torch.minimum(window[length - overlap :], ramp.flip(0))
    return window


def overlap_add(segments: Iterable[torch.Tensor], hop_frames: int, total_frames: int) -> torch.Tensor:
    """Segments `[n_mels, segment_frames]`, each `hop_frames` after the last -> `[n_mels, total_frames]`.

    Each segment is weighted by `joint_window` over the frames it shares with its
    neighbours and the sum divided by the summed weights, so every frame is a convex blend
    and no joint has a level dip or a step; frames no neighbour shares are the segment's
    own, untouched. `segments` may be a generator: only the result is held whole.
    """
    out = weight = window = None
    for k, segment in enumerate(segments):
        if out is None:
            n_mels, length = segment.shape
            window = joint_window(length, length - hop_frames, segment.device).to(segment.dtype)
            out = segment.new_zeros(n_mels, total_frames + length)
            weight = segment.new_zeros(total_frames + length)
        start = k * hop_frames
        if start >= total_frames:
            break
        out[:, start : start + length] += segment * window
        weight[start : start + length] += window
    return out[:, :total_frames].div_(weight[:total_frames].clamp_min(1e-8))
