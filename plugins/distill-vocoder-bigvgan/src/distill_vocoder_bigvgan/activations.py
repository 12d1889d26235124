"""Snake-family periodic activations, applied anti-aliased (2x up, activate, 2x down).

Signals are time-major, `[B, T, C]` (see `time_major`).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from distill_vocoder_bigvgan.time_major import convolve, transpose_convolve


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


def _column(sums: list[torch.Tensor], like: torch.Tensor) -> torch.Tensor:
    """Scalars as a `[len, 1]` column (`[0, 1]` when there are none)."""
    return torch.stack(sums)[:, None] if sums else like.new_zeros(0, 1)


class _ReplicatePaddedFilter:
    """An FIR filter run over every channel of a time-major signal, its ends replicate-padded.

    The convolution runs with zero padding, so the signal is never copied into a padded
    buffer; the few outputs whose taps reach past an end then get back what the repeated
    end sample contributes: x[0] times the sum of their taps that fell before the start
    (x[T - 1] likewise at the end). Those sums depend only on the taps, so they and the
    per-channel weights are made once per (channels, dtype, device): an expanded weight
    would be copied by every call. Subclasses say which outputs read which samples.
    """

    def __init__(self) -> None:
        self._prepared: dict[tuple, tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}

    def _end_taps(self, taps: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        """Per output from the start, the sum of its taps before x[0]; per output from the end, past x[T - 1]."""
        raise NotImplementedError

    def _zero_padded(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _prepare(self, taps: torch.Tensor, channels: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        key = (channels, taps.dtype, taps.device)
        if key not in self._prepared:
            before, after = self._end_taps(taps)
            self._prepared[key] = (
                taps.reshape(1, 1, -1).repeat(channels, 1, 1),
                _column(before, taps),
                _column(after[::-1], taps),
            )
        return self._prepared[key]

    def __call__(self, x: torch.Tensor, taps: torch.Tensor) -> torch.Tensor:
        weight, before, after = self._prepare(taps, x.shape[-1])
        out = self._zero_padded(x, weight)
        outputs = out.shape[1]
        head, tail = min(before.shape[0], outputs), min(after.shape[0], outputs)
        out[:, :head].addcmul_(x[:, :1], before[:head])
        if tail:
            out[:, outputs - tail :].addcmul_(x[:, -1:], after[after.shape[0] - tail :])
        return out


class _StridedFilter(_ReplicatePaddedFilter):
    """Output n reads x[stride * n - left + k] for tap k, n < T / stride (T a multiple of the stride)."""

    def __init__(self, left: int, stride: int) -> None:
        super().__init__()
        self.left, self.stride = left, stride

    def _end_taps(self, taps: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        left, stride, size = self.left, self.stride, taps.numel()
        before = [taps[: left - stride * n].sum() for n in range(-(-left // stride))]
        # the output j from the end has taps from left + stride * (j + 1) on past the end
        after = [taps[left + stride * (j + 1) :].sum() for j in range(max(0, -(-(size - left) // stride) - 1))]
        return before, after

    def _zero_padded(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """`[B, T, C] -> [B, T / stride, C]`."""
        left, stride, outputs = self.left, self.stride, x.shape[1] // self.stride
        padding = max(left, weight.shape[-1] - stride - left)
        padding += (padding - left) % stride  # whole output steps of extra padding, cut off below
        skip = (padding - left) // stride
        return convolve(x, weight, stride=stride, padding=padding, groups=x.shape[-1])[:, skip : skip + outputs]


class _InterpolatingFilter(_ReplicatePaddedFilter):
    """Input j adds x[j] * taps[k] to output stride * j + k - crop: a transposed convolution, 2T outputs.

    Zero-stuffing then filtering would multiply half the taps by zeros; the transposed
    convolution skips them and writes the interleaved output in one pass.
    """

    STRIDE = 2

    def __init__(self, crop: int) -> None:
        super().__init__()
        self.crop = crop

    def _end_taps(self, taps: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        stride, crop, size = self.STRIDE, self.crop, taps.numel()
        # output n gets tap n + crop - stride * j from input j: j < 0 before the start, j >= T past the end
        before = [taps[n + crop + stride :: stride].sum() for n in range(size - crop - stride)]
        after = [taps.flip(0)[size - crop + r :: stride].sum() for r in range(crop)]  # taps crop-1-r, crop-3-r, ...
        return before, after

    def _zero_padded(self, x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """`[B, T, C] -> [B, 2T, C]`."""
        return transpose_convolve(x, weight, stride=self.STRIDE, padding=self.crop, groups=x.shape[-1])


class _Upsample2x(nn.Module):
    """2x Kaiser-sinc interpolation of a replicate-padded signal; `filter` keeps the prototype (a checkpoint buffer)."""

    KERNEL = 12

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("filter", kaiser_sinc_filter(0.25, 0.3, self.KERNEL))
        self._filter = _InterpolatingFilter(crop=(self.KERNEL - 2) // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`[B, T, C] -> [B, 2T, C]`."""
        if x.device.type == "cpu" and x.dtype != torch.float32:
            # oneDNN's CPU transposed depthwise kernels are fp32 only: the reduced-precision
            # fallback is 20x slower than this round trip
            return self._filter(x.float(), 2.0 * self.filter.float().reshape(-1)).to(x.dtype)
        return self._filter(x, 2.0 * self.filter.reshape(-1))


class _LowPass(nn.Module):
    """Stride-2 Kaiser-sinc low-pass, ends replicate-padded: output n reads x[2n-5 .. 2n+6]."""

    def __init__(self, kernel_size: int = 12) -> None:
        super().__init__()
        self.register_buffer("filter", kaiser_sinc_filter(0.25, 0.3, kernel_size))
        self._filter = _StridedFilter(left=kernel_size // 2 - 1, stride=2)

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
