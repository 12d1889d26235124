"""Snake-family periodic activations, applied anti-aliased (2x up, activate, 2x down)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def kaiser_sinc_filter(cutoff: float, half_width: float, kernel_size: int) -> torch.Tensor:
    """Kaiser-windowed sinc low-pass `[1, 1, kernel_size]`, normalised to unit DC gain.

    The Kaiser beta follows Kaiser's empirical formula for the attenuation reachable with
    this length and transition width.
    """
    half = kernel_size // 2
    attenuation = 2.285 * (half - 1) * math.pi * 4 * half_width + 7.95
    if attenuation > 50.0:
        beta = 0.1102 * (attenuation - 8.7)
    elif attenuation >= 21.0:
        beta = 0.5842 * (attenuation - 21) ** 0.4 + 0.07886 * (attenuation - 21.0)
    else:
        beta = 0.0
    window = torch.kaiser_window(kernel_size, periodic=False, beta=beta)
    offsets = torch.arange(-half, half) + 0.5 if kernel_size % 2 == 0 else torch.arange(kernel_size) - half
    taps = 2 * cutoff * window * torch.sinc(2 * cutoff * offsets)
    return (taps / taps.sum()).view(1, 1, kernel_size)


class Snake(nn.Module):
    """x + sin²(αx)/α per channel, α stored as log α (the 44 kHz checkpoints' `snake_logscale`)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(channels))

    def coefficients(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(frequency, 1 / magnitude), each `[1, C, 1]`."""
        alpha = self.alpha.exp()[None, :, None]
        return alpha, 1.0 / (alpha + 1e-9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        frequency, inverse = self.coefficients()
        periodic = torch.mul(x, frequency).sin_().square_()  # in place: two fewer passes over x
        return torch.addcmul(x, periodic, inverse)


class SnakeBeta(Snake):
    """Snake with a separate magnitude parameter: x + sin²(αx)/β, both log-scaled."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.beta = nn.Parameter(torch.zeros(channels))

    def coefficients(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.alpha.exp()[None, :, None], 1.0 / (self.beta.exp()[None, :, None] + 1e-9)


def replicate_pad(x: torch.Tensor, left: int, right: int) -> torch.Tensor:
    """`F.pad(mode="replicate")` as one concatenation (several times faster on a CPU)."""
    return torch.cat([x[..., :1].expand(*x.shape[:-1], left), x, x[..., -1:].expand(*x.shape[:-1], right)], dim=-1)


class _DepthwiseWeights:
    """Per-channel copies of a filter, made once per (channels, dtype, device).

    An expanded (strided) weight would be copied by the convolution on every call.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple, tuple[torch.Tensor, ...]] = {}

    def get(self, channels: int, *taps: torch.Tensor) -> tuple[torch.Tensor, ...]:
        key = (channels, taps[0].dtype, taps[0].device)
        if key not in self._cache:
            self._cache[key] = tuple(t.reshape(1, 1, -1).repeat(channels, 1, 1).contiguous() for t in taps)
        return self._cache[key]


class _Upsample2x(nn.Module):
    """2x band-limited interpolation with the 12-tap Kaiser-sinc prototype, in two phases.

    Zero-stuffing then filtering (a stride-2 transposed convolution) multiplies half the
    taps by zeros. Here even output samples take the odd taps and odd samples the even
    taps, each a 6-tap depthwise convolution, interleaved by one stack. The signal is
    replicate-padded at its ends; the convolutions run with zero padding (no copy of the
    signal) and only the few outputs that reach past an end are recomputed from short
    replicate-padded slices. `filter` keeps the prototype (a checkpoint buffer).
    """

    KERNEL = 12
    EDGE = 4  # outputs at each end that see padding: at most 3 (even phase) / 3 (odd phase)

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("filter", kaiser_sinc_filter(0.25, 0.3, self.KERNEL))
        self._weights = _DepthwiseWeights()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, channels, length = x.shape
        taps = 2.0 * self.filter.flip(-1).reshape(-1)
        even_w, odd_w = self._weights.get(channels, taps[0::2], taps[1::2])
        conv = lambda signal, weight, pad=0: F.conv1d(signal, weight, padding=pad, groups=channels)  # noqa: E731
        if length < 12:
            padded = replicate_pad(x, 3, 5)
            even, odd = conv(padded[..., :-1], even_w)[..., :length], conv(padded[..., 1:], odd_w)[..., :length]
        else:
            # even[n] reads x[n-3 .. n+2], odd[n] reads x[n-2 .. n+3] (replicate beyond the ends)
            even = conv(x, even_w, 3)[..., :length]
            odd = conv(x, odd_w, 3)[..., 1 : length + 1]
            head = replicate_pad(x[..., :12], 3, 0)
            tail = replicate_pad(x[..., -12:], 0, 5)
            even[..., : self.EDGE] = conv(head, even_w)[..., : self.EDGE]
            odd[..., : self.EDGE] = conv(head[..., 1:], odd_w)[..., : self.EDGE]
            even[..., -self.EDGE :] = conv(tail[..., 5:], even_w)[..., : self.EDGE]
            odd[..., -self.EDGE :] = conv(tail[..., 6:], odd_w)[..., : self.EDGE]
        return torch.stack([even, odd], dim=-1).view(batch, channels, 2 * length)


class _LowPass(nn.Module):
    """Stride-2 Kaiser-sinc low-pass with replicate ends, edges patched as in `_Upsample2x`."""

    EDGE = 3

    def __init__(self, kernel_size: int = 12) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.register_buffer("filter", kaiser_sinc_filter(0.25, 0.3, kernel_size))
        self._weights = _DepthwiseWeights()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        channels, length = x.shape[1], x.shape[-1]
        (weight,) = self._weights.get(channels, self.filter.reshape(-1))
        conv = lambda signal, pad=0: F.conv1d(signal, weight, stride=2, padding=pad, groups=channels)  # noqa: E731
        if length < 16 or length % 2:
            return conv(replicate_pad(x, self.kernel_size // 2 - 1, self.kernel_size // 2))
        # output n reads x[2n-5 .. 2n+6]: zero padding 5 gives every output; patch the ends
        out = conv(x, 5)
        out[..., : self.EDGE] = conv(replicate_pad(x[..., :16], 5, 0))[..., : self.EDGE]
        out[..., -self.EDGE :] = conv(replicate_pad(x[..., -16:], 0, 6)[..., 5:])[..., : self.EDGE]
        return out


class _Downsample2x(nn.Module):
    def __init__(self, kernel_size: int = 12) -> None:
        super().__init__()
        self.lowpass = _LowPass(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lowpass(x)


class AntiAliasedActivation(nn.Module):
    """`[B, C, T] -> [B, C, T]`: the nonlinearity runs at 2x rate so its harmonics don't alias."""

    def __init__(self, activation: Snake) -> None:
        super().__init__()
        self.act = activation
        self.upsample = _Upsample2x()
        self.downsample = _Downsample2x()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(self.act(self.upsample(x)))
