"""Per-output quality report: peak, integrated loudness (ITU-R BS.1770-4), clipping, silence, DC offset."""

from __future__ import annotations

import math
from typing import Any

import torch
import torchaudio.functional as AF

SILENCE_DBFS = -60.0
# A render whose peak lies below this before normalisation holds nothing a listener would
# hear at a sane monitoring level: lifting it to the ceiling would only amplify noise.
NEAR_SILENT_DBFS = -60.0
BLOCK_SECONDS, BLOCK_OVERLAP = 0.4, 0.75
DC_CUTOFF_HZ = 5.0  # the DC blocker's corner: far below anything audible, fast enough to settle within a one-shot
DC_OFFSET_LIMIT = 1e-3  # a mean beyond -60 dBFS is a DC offset worth removing
ABSOLUTE_GATE_LUFS, RELATIVE_GATE_LU = -70.0, -10.0


def _biquad_high_shelf(rate: int, gain_db: float, q: float, fc: float) -> tuple[list[float], list[float]]:
    a = 10 ** (gain_db / 40)
    w0 = 2 * math.pi * fc / rate
    alpha, cos = math.sin(w0) / (2 * q), math.cos(w0)
    b = [
        a * ((a + 1) + (a - 1) * cos + 2 * math.sqrt(a) * alpha),
        -2 * a * ((a - 1) + (a + 1) * cos),
        a * ((a + 1) + (a - 1) * cos - 2 * math.sqrt(a) * alpha),
    ]
    den = [
        (a + 1) - (a - 1) * cos + 2 * math.sqrt(a) * alpha,
        2 * ((a - 1) - (a + 1) * cos),
        (a + 1) - (a - 1) * cos - 2 * math.sqrt(a) * alpha,
    ]
    return b, den


def _biquad_high_pass(rate: int, q: float, fc: float) -> tuple[list[float], list[float]]:
    w0 = 2 * math.pi * fc / rate
    alpha, cos = math.sin(w0) / (2 * q), math.cos(w0)
    return [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2], [1 + alpha, -2 * cos, 1 - alpha]


def _k_weighting(rate: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """BS.1770's K-weighting (head-related shelf, then RLB high-pass) at any rate: (b, a) per biquad, a[0] = 1."""
    stages = []
    for b, a in (_biquad_high_shelf(rate, 4.0, 1 / math.sqrt(2), 1500.0), _biquad_high_pass(rate, 0.5, 38.0)):
        stages.append((torch.tensor(b, dtype=torch.float64) / a[0], torch.tensor(a, dtype=torch.float64) / a[0]))
    return stages


class _Biquad:
    """One biquad over `[channels, n]` pieces, its state carried from piece to piece.

    torchaudio's `lfilter` starts at rest; the response to the previous piece's last two
    inputs and outputs is added as the all-pole response to two leading samples.
    """

    def __init__(self, b: torch.Tensor, a: torch.Tensor, channels: int) -> None:
        self.b, self.a = b, a
        self.x = torch.zeros(channels, 2, dtype=torch.float64)  # x[n-2], x[n-1]
        self.y = torch.zeros(channels, 2, dtype=torch.float64)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        (_, b1, b2), (_, a1, a2) = self.b.tolist(), self.a.tolist()
        y = AF.lfilter(x, self.a, self.b, clamp=False)
        kick = torch.zeros_like(x)
        kick[:, 0] = b1 * self.x[:, 1] + b2 * self.x[:, 0] - a1 * self.y[:, 1] - a2 * self.y[:, 0]
        if x.shape[-1] > 1:
            kick[:, 1] = b2 * self.x[:, 1] - a2 * self.y[:, 1]
        y = y + AF.lfilter(kick, self.a, torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64), clamp=False)
        self.x = torch.cat([self.x, x], dim=-1)[:, -2:]
        self.y = torch.cat([self.y, y], dim=-1)[:, -2:]
        return y


class DCBlocker:
    """A first-order high-pass at `DC_CUTOFF_HZ` over `[channels, n]` pieces, its state carried from piece to piece.

    A vocoder can render a waveform that leans to one side (a mean of -0.02 with peaks of
    -0.89 and +0.21): it wastes headroom and thumps when played. The blocker removes the
    offset without touching what is heard.
    """

    def __init__(self, rate: int, channels: int) -> None:
        pole = math.exp(-2 * math.pi * DC_CUTOFF_HZ / rate)
        b = torch.tensor([1.0, -1.0, 0.0], dtype=torch.float64)
        a = torch.tensor([1.0, -pole, 0.0], dtype=torch.float64)
        self.filter = _Biquad(b, a, channels)

    def __call__(self, piece: torch.Tensor) -> torch.Tensor:
        return self.filter(piece.double()).to(piece.dtype) if piece.numel() else piece


class LevelMeter:
    """Peak, gated integrated loudness (ITU-R BS.1770-4), clipping and sanity of a signal fed in pieces.

    K-weighting runs on a fixed grid of 100 ms steps with its filter state carried over,
    so the loudness of a streamed render does not depend on how it was cut, and memory
    holds one number per step and channel. A 400 ms gating block is four steps.
    """

    def __init__(self, rate: int, channels: int) -> None:
        self.rate, self.channels = rate, channels
        self.step = round(round(BLOCK_SECONDS * rate) * (1 - BLOCK_OVERLAP))
        self.grid = self.step * 8
        self.filters = [_Biquad(b, a, channels) for b, a in _k_weighting(rate)]
        self.pending = torch.zeros(channels, 0, dtype=torch.float64)
        # per 100 ms step, each channel's sum of squared K-weighted samples: Python floats, not
        # small tensors, which would pin glibc's heap between the large blocks of a long render
        self.step_energy: list[list[float]] = []
        self.peak = 0.0
        self.clipped = 0
        self.finite = True
        self.samples = 0
        self.total = 0.0  # the sum of every sample, for the DC offset

    def add(self, piece: torch.Tensor) -> None:
        """Measure the next `[channels, n]` samples."""
        piece = piece.detach().float().cpu()
        self.samples += piece.shape[-1]
        if not bool(torch.isfinite(piece).all()):
            self.finite = False
        if not self.finite or not piece.numel():
            return
        self.peak = max(self.peak, piece.abs().max().item())
        self.clipped += int((piece.abs() >= 1.0).sum())
        self.total += float(piece.double().sum())
        self.pending = torch.cat([self.pending, piece.double()], dim=-1)
        while self.pending.shape[-1] >= self.grid:
            self._weigh(self.pending[:, : self.grid])
            self.pending = self.pending[:, self.grid :]

    def _weigh(self, samples: torch.Tensor) -> None:
        for stage in self.filters:
            samples = stage(samples)
        whole = samples.shape[-1] // self.step * self.step
        energy = samples[:, :whole].pow(2).reshape(samples.shape[0], -1, self.step).sum(-1)
        self.step_energy.extend(energy.T.tolist())

    def loudness(self) -> float | None:
        """Integrated loudness in LUFS (all channel weights 1); None when shorter than one block
        or gated away entirely. Call once, after the last piece."""
        if not self.finite:
            return None
        if self.pending.shape[-1]:
            self._weigh(self.pending)
            self.pending = self.pending[:, :0]
        if len(self.step_energy) < 4:
            return None
        steps = torch.tensor(self.step_energy, dtype=torch.float64).T  # [channels, steps]
        blocks = steps.unfold(-1, 4, 1).sum(-1) / (4 * self.step)  # [channels, blocks] mean power
        total = blocks.sum(0)
        loudness = -0.691 + 10 * torch.log10(total.clamp_min(1e-20))
        gated = total[loudness > ABSOLUTE_GATE_LUFS]
        if gated.numel() == 0:
            return None
        relative = -0.691 + 10 * math.log10(gated.mean().item()) + RELATIVE_GATE_LU
        final = total[(loudness > ABSOLUTE_GATE_LUFS) & (loudness > relative)]
        return round(-0.691 + 10 * math.log10(final.mean().item()), 2)

    def report(self) -> dict[str, Any]:
        """What a user checks before using a sound: level, loudness, clipping, silence, sanity."""
        peak_db = 20 * math.log10(self.peak) if self.finite and self.peak > 0 else None
        return {
            "peak_dbfs": round(peak_db, 2) if peak_db is not None else None,
            "loudness_lufs": self.loudness(),
            "clipped_samples": self.clipped,
            "silent": peak_db is None or peak_db < SILENCE_DBFS,
            "finite": self.finite,
            "dc_offset": round(self.total / max(1, self.samples * self.channels), 5) if self.finite else None,
        }


def integrated_loudness(wav: torch.Tensor, rate: int) -> float | None:
    """Gated integrated loudness in LUFS of `[channels, samples]` or `[samples]`; see `LevelMeter`."""
    wav = wav[None] if wav.dim() == 1 else wav
    meter = LevelMeter(rate, wav.shape[0])
    meter.add(wav)
    return meter.loudness()


def peak_dbfs(wav: torch.Tensor) -> float | None:
    """The sample peak in dBFS; None for an empty, all-zero or non-finite signal."""
    if not wav.numel() or not bool(torch.isfinite(wav).all()):
        return None
    peak = wav.abs().max().item()
    return 20 * math.log10(peak) if peak > 0 else None


def quality_report(wav: torch.Tensor, rate: int) -> dict[str, Any]:
    """The `LevelMeter` report of a whole `[channels, samples]` or `[samples]` signal."""
    wav = wav[None] if wav.dim() == 1 else wav
    meter = LevelMeter(rate, wav.shape[0])
    meter.add(wav)
    return meter.report()
