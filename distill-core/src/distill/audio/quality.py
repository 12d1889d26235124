"""Per-output quality report: peak, integrated loudness (ITU-R BS.1770-4), clipping, silence."""

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


def k_weight(wav: torch.Tensor, rate: int) -> torch.Tensor:
    """BS.1770's K-weighting (head-related shelf, then RLB high-pass) at any sample rate."""
    out = wav.double()
    for b, a in (_biquad_high_shelf(rate, 4.0, 1 / math.sqrt(2), 1500.0), _biquad_high_pass(rate, 0.5, 38.0)):
        out = AF.lfilter(out, torch.tensor(a, dtype=out.dtype), torch.tensor(b, dtype=out.dtype), clamp=False)
    return out


def integrated_loudness(wav: torch.Tensor, rate: int) -> float | None:
    """Gated integrated loudness in LUFS of `[channels, samples]` (all channel weights 1).

    None when the signal is shorter than one 400 ms block or gated away entirely.
    """
    wav = wav[None] if wav.dim() == 1 else wav
    block = round(BLOCK_SECONDS * rate)
    step = round(block * (1 - BLOCK_OVERLAP))
    if wav.shape[-1] < block:
        return None
    power = k_weight(wav, rate).pow(2).unfold(-1, block, step).mean(-1)  # [channels, blocks]
    total = power.sum(0)
    loudness = -0.691 + 10 * torch.log10(total.clamp_min(1e-20))
    gated = total[loudness > ABSOLUTE_GATE_LUFS]
    if gated.numel() == 0:
        return None
    relative = -0.691 + 10 * math.log10(gated.mean().item()) + RELATIVE_GATE_LU
    final = total[(loudness > ABSOLUTE_GATE_LUFS) & (loudness > relative)]
    return round(-0.691 + 10 * math.log10(final.mean().item()), 2)


def peak_dbfs(wav: torch.Tensor) -> float | None:
    """The sample peak in dBFS; None for an empty, all-zero or non-finite signal."""
    if not wav.numel() or not bool(torch.isfinite(wav).all()):
        return None
    peak = wav.abs().max().item()
    return 20 * math.log10(peak) if peak > 0 else None


def quality_report(wav: torch.Tensor, rate: int) -> dict[str, Any]:
    """What a user checks before using a sound: level, loudness, clipping, silence, sanity."""
    wav = wav.detach().float().cpu()
    finite = bool(torch.isfinite(wav).all())
    peak_db = peak_dbfs(wav)
    return {
        "peak_dbfs": round(peak_db, 2) if peak_db is not None else None,
        "loudness_lufs": integrated_loudness(wav, rate) if finite else None,
        "clipped_samples": int((wav.abs() >= 1.0).sum()),
        "silent": peak_db is None or peak_db < SILENCE_DBFS,
        "finite": finite,
    }
