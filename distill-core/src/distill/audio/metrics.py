"""Vocoder quality measures that see phase, smeared transients and level (why: docs/benchmarks.md).

The one place these are computed: the held-out verdict stored with every per-model
vocoder, the UI's analysis-resynthesis A/B, the benchmarks, and (through
`multires_stft_log_distance`) training losses.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import torch

from distill.audio.resampling import resample

STFT_WINDOWS = (128, 256, 512, 1024, 2048)
MAGNITUDE_FLOOR = 1e-5


def log_magnitude_stft(wav: torch.Tensor, window: int) -> torch.Tensor:
    """`[..., samples]` -> natural-log STFT magnitude floored at 1e-5, `[..., window // 2 + 1, frames]`.

    Hann window, hop `window // 4`, centred frames (reflect-padded; zero-padded when the
    signal is too short to reflect, as a 20 ms click is for a 2048-point window).
    """
    pad_mode = "reflect" if wav.shape[-1] > window // 2 else "constant"
    spec = torch.stft(
        wav,
        window,
        window // 4,
        window=torch.hann_window(window, device=wav.device),
        pad_mode=pad_mode,
        return_complex=True,
    )
    return torch.log(spec.abs().clamp_min(MAGNITUDE_FLOOR))


def multires_stft_log_distance(
    reference: torch.Tensor, estimate: torch.Tensor, windows: tuple[int, ...] = STFT_WINDOWS
) -> torch.Tensor:
    """Mean over resolutions of the mean L1 between log magnitudes; differentiable, `[B, T]` or `[T]`.

    Short windows (128, 256 samples at 48 kHz) resolve attacks that a 2048-point mel frame
    cannot, so Griffin-Lim's smeared transients show here while magnitude-only scores at
    the mel's own resolution flatter it. The floor makes noise in the silence of a one-shot
    count as much as a missing tail.
    """
    n = min(reference.shape[-1], estimate.shape[-1])
    reference, estimate = reference[..., :n].float(), estimate[..., :n].float()
    total = sum((log_magnitude_stft(reference, w) - log_magnitude_stft(estimate, w)).abs().mean() for w in windows)
    return total / len(windows)


def multires_stft_distance(
    reference: torch.Tensor, estimate: torch.Tensor, windows: tuple[int, ...] = STFT_WINDOWS
) -> float:
    """`multires_stft_log_distance` as a number (lower is better; 0 is identical)."""
    with torch.no_grad():
        return float(multires_stft_log_distance(reference, estimate, windows))


def snr_db(reference: torch.Tensor, estimate: torch.Tensor) -> float:
    """Waveform SNR in dB: harsh (it needs the phase right), reported for completeness."""
    n = min(reference.shape[-1], estimate.shape[-1])
    reference, estimate = reference[..., :n].double(), estimate[..., :n].double()
    noise = (reference - estimate).pow(2).sum()
    return float(10 * torch.log10(reference.pow(2).sum().clamp_min(1e-20) / noise.clamp_min(1e-20)))


def rms_dbfs(wav: torch.Tensor) -> float:
    """RMS level in dBFS (-200 for digital silence)."""
    rms = wav.double().pow(2).mean().sqrt().item() if wav.numel() else 0.0
    return 20 * math.log10(rms) if rms > 1e-10 else -200.0


def level_difference_db(reference: torch.Tensor, estimate: torch.Tensor) -> float:
    """RMS level of `estimate` minus that of `reference`, in dB (negative: renders too quiet)."""
    return rms_dbfs(estimate) - rms_dbfs(reference)


PESQ_RATE = 16000


def pesq_wideband(reference: torch.Tensor, estimate: torch.Tensor, sample_rate: int) -> float | None:
    """Wideband PESQ (ITU-T P.862.2, speech) at 16 kHz, or None without the optional `pesq` package."""
    try:
        from pesq import pesq
    except ImportError:
        return None
    n = min(reference.shape[-1], estimate.shape[-1])
    ref, est = (resample(x[..., :n].float(), sample_rate, PESQ_RATE).numpy() for x in (reference, estimate))
    try:
        return float(pesq(PESQ_RATE, ref, est, "wb"))
    except Exception:  # pesq refuses silence or very short clips; no score rather than a crash
        return None


def compare_to_original(reference: torch.Tensor, estimate: torch.Tensor, sample_rate: int) -> dict[str, Any]:
    """`[samples]` each: the figures an A/B of a vocoder's analysis-resynthesis reports."""
    return {
        "multires_stft_distance": round(multires_stft_distance(reference, estimate), 4),
        "snr_db": round(snr_db(reference, estimate), 2),
        "level_difference_db": round(level_difference_db(reference, estimate), 2),
        "pesq_wb": pesq_wideband(reference, estimate, sample_rate),
    }


def visqol_moslqo(reference: Path, degraded: Path) -> str:
    """ViSQOL v3 audio mode (48 kHz files) as a 2-decimal MOS-LQO, or why not (optional `visqol` package)."""
    try:
        from visqol import VisqolApi
    except ImportError:
        return "not installed"
    api = VisqolApi()
    api.create(mode="audio")
    try:
        return f"{api.measure(str(reference), str(degraded)).moslqo:.2f}"
    except Exception as exc:  # report, don't hide, a metric that could not run
        return f"failed: {type(exc).__name__}"
