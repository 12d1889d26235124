"""Vocoder quality measures that see phase, smeared transients and level (why: docs/benchmarks.md).

The one place these are computed: the held-out verdict stored with every per-model
vocoder, the UI's analysis-resynthesis A/B, the benchmarks, and (through
`multires_stft_log_distance`) training losses.
"""

from __future__ import annotations

import functools
import math
import os
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


VISQOL_RATE = 48000  # ViSQOL v3's audio mode works at 48 kHz
VISQOL_GAP_SECONDS = 0.2  # silence between clips joined for one score
VISQOL_SWITCH = "DISTILL_VISQOL"  # "0" leaves ViSQOL out of verdicts (it costs ~10 s to start in each process)


@functools.cache
def _load_visqol() -> Any:
    """ViSQOL's audio-mode scorer, made once per process; None without the optional package."""
    try:
        from visqol import VisqolApi
    except ImportError:
        return None
    api = VisqolApi()
    api.create(mode="audio")
    return api


def _visqol_api() -> Any:
    return None if os.environ.get(VISQOL_SWITCH) == "0" else _load_visqol()


def visqol_available() -> bool:
    """Whether ViSQOL can score: the optional `visqol-python` package (`pip install 'distill-core[quality]'`)
    is installed and `DISTILL_VISQOL` is not "0"."""
    return _visqol_api() is not None


def visqol(reference: torch.Tensor, estimate: torch.Tensor, sample_rate: int) -> float | None:
    """ViSQOL v3 audio mode MOS-LQO of `estimate` against `reference` (`[samples]` each), higher is better.

    A perceptual measure (gammatone patches, their similarity mapped to a listener's 1-5)
    that hears the smear and phasiness magnitude distances miss, and forgives a phase
    that magnitude-consistent Griffin-Lim renders differently. About 0.25 s per second of
    audio on one core, after a one-off start of ~10 s per process (numba's cached
    kernels; ~35 s the very first time). None without the optional package, or for audio
    it cannot score (shorter than its 3-second-ish patches, say): join one-shots first
    (`join_clips`).
    """
    api = _visqol_api()
    if api is None:
        return None
    n = min(reference.shape[-1], estimate.shape[-1])
    ref, est = (resample(x[..., :n].float(), sample_rate, VISQOL_RATE).double().numpy() for x in (reference, estimate))
    try:
        return round(float(api.measure_from_arrays(ref, est, VISQOL_RATE).moslqo), 3)
    except Exception:  # it refuses some inputs (too short, silent); no score rather than a crash
        return None


def join_clips(clips: list[torch.Tensor], sample_rate: int) -> torch.Tensor:
    """`[samples]` clips in a row with `VISQOL_GAP_SECONDS` of silence after each: one-shots long enough to score."""
    gap = torch.zeros(int(sample_rate * VISQOL_GAP_SECONDS))
    return torch.cat([piece for clip in clips for piece in (clip.float().cpu(), gap)])
