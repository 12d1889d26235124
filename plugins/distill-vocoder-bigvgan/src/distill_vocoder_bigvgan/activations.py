"""Snake-family periodic activations, applied anti-aliased (2x up, activate, 2x down).

Signals are time-major, `[B, T, C]` (see `time_major`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from distill_vocoder_bigvgan.time_major import convolve


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
        """(frequency, 1 / magnitude), each `[C]`."""
        alpha = self.alpha.exp()
        return alpha, 1.0 / (alpha + 1e-9)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[B, T, C] -> [B, T, C]`."""
        frequency, inverse = self.coefficients()
        periodic = torch.mul(x, frequency).sin_().square_()  # in place: two fewer passes over x
        return torch.addcmul(x, periodic, inverse)


class SnakeBeta(Snake):
    """Snake with a separate magnitude parameter: x + sin²(αx)/β, both log-scaled."""

    def __init__(self, channels: int) -> None:
        super().__init__(channels)
        self.beta = nn.Parameter(torch.zeros(channels))

    def coefficients(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.alpha.exp(), 1.0 / (self.beta.exp() + 1e-9)


class _ReplicatePaddedFilter:
    """One FIR filter run over every channel of a time-major signal, ends replicate-padded.

    Output n reads x[stride * n - left + k] for tap k, n < T / stride (T a multiple of the
    stride); samples beyond the ends repeat the end samples. The convolution runs with
    zero padding, so the signal is never copied into a padded buffer; the few outputs
    whose taps reach past an end then get back what the repeated sample contributes:
    x[0] times the sum of the taps that fell before the start (x[T - 1] likewise at the
    end). The per-channel weights and those tap sums are made once per
    (channels, dtype, device): an expanded weight would be copied by every call.
    """

    def __init__(self, left: int, stride: int = 1) -> None:
        self.left, self.stride = left, stride
        self._prepared: dict[tuple, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def _prepare(self, taps: torch.Tensor, channels: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        key = (channels, taps.dtype, taps.device)
        if key not in self._prepared:
            left, stride, size = self.left, self.stride, taps.numel()
            before = [taps[: left - stride * n].sum() for n in range(-(-left // stride))]
            # the output j from the end has taps from left + stride * (j + 1) on past the end
            after = [taps[left + stride * (j + 1) :].sum() for j in range(max(0, -(-(size - left) // stride) - 1))]
            self._prepared[key] = (
                taps.reshape(1, 1, -1).repeat(channels, 1, 1),
                torch.stack(before)[:, None] if before else taps.new_zeros(0, 1),
                torch.stack(after).flip(0)[:, None] if after else taps.new_zeros(0, 1),
            )
        return self._prepared[key]

    def __call__(self, x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        """`[B, T, C] -> [B, T / stride, C]`."""
        weight, before, after = self._prepare(taps, x.shape[-1])
        left, stride = self.left, self.stride
        outputs = x.shape[1] // stride
        padding = max(left, taps.numel() - stride - left)
        padding += (padding - left) % stride  # whole output steps of extra padding, cut off below
        skip = (padding - left) // stride
        out = convolve(x, weight, stride=stride, padding=padding, groups=x.shape[-1])[:, skip : skip + outputs]
        head, tail = min(before.shape[0], outputs), min(after.shape[0], outputs)
        out[:, :head].addcmul_(x[:, :1], before[:head])
        if tail:
            out[:, outputs - tail :].addcmul_(x[:, -1:], after[after.shape[0] - tail :])
        return out


class _Upsample2x(nn.Module):
    """2x band-limited interpolation with the 12-tap Kaiser-sinc prototype, in two phases.

    Zero-stuffing then filtering (a stride-2 transposed convolution) multiplies half the
    taps by zeros. Here even output samples take the odd taps and odd samples the even
    taps, each a 6-tap filter at the input rate, interleaved by one stack; the input is
    replicate-padded at its ends. `filter` keeps the prototype (a checkpoint buffer).
    """

    KERNEL = 12

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("filter", kaiser_sinc_filter(0.25, 0.3, self.KERNEL))
        # even[n] reads x[n-3 .. n+2], odd[n] reads x[n-2 .. n+3]
        self._even, self._odd = _ReplicatePaddedFilter(left=3), _ReplicatePaddedFilter(left=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[B, T, C] -> [B, 2T, C]`."""
        batch, length, channels = x.shape
        taps = 2.0 * self.filter.flip(-1).reshape(-1)
        even, odd = self._even(x, taps[0::2]), self._odd(x, taps[1::2])
        return torch.stack([even, odd], dim=2).view(batch, 2 * length, channels)


class _LowPass(nn.Module):
    """Stride-2 Kaiser-sinc low-pass, ends replicate-padded: output n reads x[2n-5 .. 2n+6]."""

    def __init__(self, kernel_size: int = 12) -> None:
        super().__init__()
        self.register_buffer("filter", kaiser_sinc_filter(0.25, 0.3, kernel_size))
        self._filter = _ReplicatePaddedFilter(left=kernel_size // 2 - 1, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[B, 2T, C] -> [B, T, C]`."""
        return self._filter(x, self.filter.reshape(-1))


class _Downsample2x(nn.Module):
    def __init__(self, kernel_size: int = 12) -> None:
        super().__init__()
        self.lowpass = _LowPass(kernel_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.lowpass(x)


class AntiAliasedActivation(nn.Module):
    """`[B, T, C] -> [B, T, C]`: the nonlinearity runs at 2x rate so its harmonics don't alias."""

    def __init__(self, activation: Snake) -> None:
        super().__init__()
        self.act = activation
        self.upsample = _Upsample2x()
        self.downsample = _Downsample2x()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.downsample(self.act(self.upsample(x)))
