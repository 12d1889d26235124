"""A waveform overview for lists and history: the peak of each of a few equal slices."""

from __future__ import annotations

import torch

POINTS = 64


class Overview:
    """The overview of a `total`-sample signal seen in pieces; slices as `torch.tensor_split` cuts them."""

    def __init__(self, total: int, points: int = POINTS) -> None:
        count = min(points, max(1, total))
        size, longer = divmod(total, count)
        self.ends = torch.tensor([size + 1] * longer + [size] * (count - longer)).cumsum(0)
        self.peaks = torch.zeros(count)
        self.seen = 0

    def add(self, piece: torch.Tensor) -> None:
        """The next `[samples]` or `[channels, samples]` of the signal."""
        level = piece.detach().abs().float().cpu()
        level = level.amax(dim=0) if level.dim() == 2 else level
        where = torch.bucketize(torch.arange(self.seen, self.seen + level.numel()), self.ends, right=True)
        self.peaks.scatter_reduce_(0, where.clamp(max=self.peaks.numel() - 1), level, "amax")
        self.seen += level.numel()

    def values(self) -> list[float]:
        """The slices' peaks, rounded; in [0, 1] for a signal that does not clip."""
        return [round(float(p), 4) for p in self.peaks]


def overview(wav: torch.Tensor, points: int = POINTS) -> list[float]:
    """The overview of a whole `[samples]` or `[channels, samples]` signal."""
    builder = Overview(wav.shape[-1], points)
    builder.add(wav)
    return builder.values()
