"""Long mels are vocoded in chunks whose kept middles equal one pass over the whole mel."""

from __future__ import annotations

import torch
from torch.nn import functional as F

from distill.vocoders import vocode_with_context

HOP = 4


def _local_vocoder(mel: torch.Tensor) -> torch.Tensor:
    """A stand-in whose every sample depends on frames at most 3 away: `[B, M, f] -> [B, f * HOP]`."""
    smoothed = F.avg_pool1d(mel.mean(1, keepdim=True), 7, stride=1, padding=3, count_include_pad=False)
    return smoothed.repeat_interleave(HOP, dim=-1)[:, 0]


def test_chunks_with_enough_context_equal_one_pass():
    mel = torch.rand(2, 8, 101, generator=torch.Generator().manual_seed(0))
    whole = _local_vocoder(mel)
    chunked = vocode_with_context(_local_vocoder, mel, HOP, chunk_frames=10, context_frames=3)
    assert chunked.shape == whole.shape == (2, 101 * HOP)
    torch.testing.assert_close(chunked, whole)


def test_too_little_context_shows_at_the_joints():
    mel = torch.rand(1, 8, 101, generator=torch.Generator().manual_seed(0))
    chunked = vocode_with_context(_local_vocoder, mel, HOP, chunk_frames=10, context_frames=1)
    assert (chunked - _local_vocoder(mel)).abs().max() > 1e-3
