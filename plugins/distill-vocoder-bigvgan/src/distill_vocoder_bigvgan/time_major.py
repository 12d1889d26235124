"""Convolutions on time-major signals `[B, T, C]`, the layout the generator runs in.

A time-major signal seen as `[B, C, 1, T]` has channels-last strides, and that is the
layout oneDNN's CPU kernels are built for: the anti-aliasing filters (depthwise, a few
taps) run 3-10x faster than on `[B, C, T]`, dense convolutions as fast or faster, and
the per-channel activation parameters broadcast along the contiguous last axis. The
weights keep the checkpoint's `[C_out, C_in / groups, K]` form; only views are taken.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


def _as_image(x: torch.Tensor) -> torch.Tensor:
    """`[B, T, C]` -> a `[B, C, 1, T]` channels-last view of the same memory."""
    return x.unsqueeze(1).permute(0, 3, 1, 2)


def _as_signal(image: torch.Tensor) -> torch.Tensor:
    """`[B, C, 1, T]` -> `[B, T, C]`; free when the convolution kept the channels-last layout."""
    return image.permute(0, 2, 3, 1).squeeze(1).contiguous()


def convolve(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    groups: int = 1,
) -> torch.Tensor:
    """`F.conv1d` for time-major signals: `[B, T, C_in] -> [B, T', C_out]`, weight `[C_out, C_in / groups, K]`."""
    image = F.conv2d(
        _as_image(x),
        weight.unsqueeze(2),
        bias,
        stride=(1, stride),
        padding=(0, padding),
        dilation=(1, dilation),
        groups=groups,
    )
    return _as_signal(image)


def apply(conv: nn.Conv1d | nn.ConvTranspose1d, x: torch.Tensor) -> torch.Tensor:
    """`conv(x)` with its own weights and settings, for a time-major `x`: `[B, T, C_in] -> [B, T', C_out]`."""
    if isinstance(conv, nn.ConvTranspose1d):
        image = F.conv_transpose2d(
            _as_image(x), conv.weight.unsqueeze(2), conv.bias, stride=(1, conv.stride[0]), padding=(0, conv.padding[0])
        )
        return _as_signal(image)
    return convolve(
        x,
        conv.weight,
        conv.bias,
        stride=conv.stride[0],
        padding=conv.padding[0],
        dilation=conv.dilation[0],
        groups=conv.groups,
    )
