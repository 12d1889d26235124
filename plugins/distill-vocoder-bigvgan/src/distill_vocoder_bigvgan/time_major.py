"""Convolutions on time-major signals `[B, T, C]`, the layout the generator runs in.

A time-major signal seen as `[B, C, 1, T]` has channels-last strides, and that is the
layout oneDNN's CPU kernels are built for: the anti-aliasing filters (depthwise, a few
taps) run 3-10x faster than on `[B, C, T]`, dense convolutions as fast or faster, and
the per-channel activation parameters broadcast along the contiguous last axis. The
weights keep the checkpoint's `[C_out, C_in / groups, K]` shape; `lay_out_weights`
stores them in the order those kernels read.
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


def transpose_convolve(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    stride: int,
    padding: int,
    groups: int = 1,
) -> torch.Tensor:
    """`F.conv_transpose1d` for time-major signals: weight `[C_in, C_out / groups, K]`."""
    image = F.conv_transpose2d(
        _as_image(x), weight.unsqueeze(2), bias, stride=(1, stride), padding=(0, padding), groups=groups
    )
    return _as_signal(image)


def lay_out_weights(module: nn.Module) -> None:
    """Store each convolution weight in `module` in the order channels-last kernels read.

    That is `[C_out, K, C_in]` in memory, the shape unchanged; otherwise every call copies
    the weight into that order first (26 MB for the largest, 0.2 s per second of audio).
    Weights already in that order (read from the weights cache) are left as they are.
    """
    for conv in module.modules():
        if isinstance(conv, (nn.Conv1d, nn.ConvTranspose1d)):
            if conv.weight.unsqueeze(2).is_contiguous(memory_format=torch.channels_last):
                continue
            weight = conv.weight.detach().transpose(1, 2).contiguous().transpose(1, 2)
            conv.weight = nn.Parameter(weight, requires_grad=conv.weight.requires_grad)


def apply(conv: nn.Conv1d | nn.ConvTranspose1d, x: torch.Tensor) -> torch.Tensor:
    """`conv(x)` with its own weights and settings, for a time-major `x`: `[B, T, C_in] -> [B, T', C_out]`."""
    if isinstance(conv, nn.ConvTranspose1d):
        return transpose_convolve(x, conv.weight, conv.bias, stride=conv.stride[0], padding=conv.padding[0])
    return convolve(
        x,
        conv.weight,
        conv.bias,
        stride=conv.stride[0],
        padding=conv.padding[0],
        dilation=conv.dilation[0],
        groups=conv.groups,
    )
