"""Spatial rendering, always after the mono vocoder output: mono, stereo, binaural.

- stereo: mid/side. The mono signal is the mid; the side is a decorrelated copy of it
  (a seeded random-phase all-pass, so it has the same spectrum but no common phase), and
  `width` scales the side: 0 is mono in two channels, 1 a wide image.
- binaural: convolution with a head-related impulse response pair for one direction, from
  a SOFA file (`hrtf`), or, offline and by default, from a built-in spherical-head model:
  interaural time difference by Woodworth's formula and a head-shadow low-pass on the far
  ear.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torchaudio.functional as AF

from distill.audio.resampling import resample
from distill.errors import DistillError

MODES = ("mono", "stereo", "binaural")
HEAD_RADIUS_M = 0.0875
SPEED_OF_SOUND = 343.0


def _decorrelated(mono: torch.Tensor, seed: int, length: int = 1024) -> torch.Tensor:
    """The same magnitude spectrum with random phase: an all-pass FIR, applied by FFT."""
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(length // 2 + 1, generator=g) * 2 * math.pi
    phase[0] = 0.0
    phase[-1] = 0.0
    fir = torch.fft.irfft(torch.polar(torch.ones_like(phase), phase), n=length)
    return AF.fftconvolve(mono, fir)[: mono.numel()]


def stereo(mono: torch.Tensor, width: float = 1.0, seed: int = 0) -> torch.Tensor:
    """`[samples] -> [2, samples]` by mid/side widening."""
    if not 0.0 <= width <= 2.0:
        raise DistillError("Stereo width must lie between 0 (mono) and 2 (extra wide).")
    side = _decorrelated(mono, seed) * width * 0.5
    return torch.stack([mono + side, mono - side]) / (1 + 0.5 * width)


def spherical_head_hrir(azimuth_deg: float, rate: int, length: int = 256) -> torch.Tensor:
    """`[2, length]` left/right impulse responses of a rigid sphere for a source at `azimuth_deg`
    (0 ahead, positive to the right, 180 behind), on the horizontal plane."""
    theta = math.asin(math.sin(math.radians(azimuth_deg)))  # a sphere hears 120 degrees as 60: front-back mirror
    itd = HEAD_RADIUS_M / SPEED_OF_SOUND * (abs(theta) + math.sin(abs(theta)))
    delay = itd * rate
    near, far = torch.zeros(length), torch.zeros(length)
    near[0] = 1.0
    taps = torch.arange(length, dtype=torch.float32)
    far = torch.sinc(taps - delay) * torch.hann_window(length, periodic=False).roll(length // 2 - int(delay))
    shadow = 0.5 * (1 - math.cos(theta)) if theta else 0.0  # 0 ahead, 1 fully to one side
    cutoff = 20000 - 17000 * shadow
    alpha = 1 - math.exp(-2 * math.pi * cutoff / rate)
    far = AF.lfilter(far, torch.tensor([1.0, alpha - 1.0]), torch.tensor([alpha, 0.0]), clamp=False)
    far = far * (1 - 0.5 * shadow)
    left, right = (far, near) if theta > 0 else (near, far)
    return torch.stack([left, right])


def sofa_hrir(path: Path, azimuth_deg: float, rate: int) -> torch.Tensor:
    """`[2, taps]` from a SOFA (HDF5) file: the measurement nearest `azimuth_deg` at ear level."""
    import h5py

    try:
        with h5py.File(path, "r") as sofa:
            irs = torch.tensor(sofa["Data.IR"][()], dtype=torch.float32)  # [M, 2, N]
            positions = torch.tensor(sofa["SourcePosition"][()], dtype=torch.float32)  # [M, 3] az, el, r
            sofa_rate = int(float(sofa["Data.SamplingRate"][()].reshape(-1)[0]))
    except (OSError, KeyError) as exc:
        raise DistillError(f"{path} is not a readable SOFA HRTF file ({exc}).") from exc
    wanted = (-azimuth_deg) % 360  # SOFA azimuth is counter-clockwise (positive to the left)
    difference = (positions[:, 0] - wanted + 180) % 360 - 180
    nearest = int((difference.abs() + positions[:, 1].abs()).argmin())
    return resample(irs[nearest], sofa_rate, rate)


def binaural(mono: torch.Tensor, rate: int, azimuth_deg: float = 30.0, hrtf: Path | None = None) -> torch.Tensor:
    """`[samples] -> [2, samples]`: the mono source placed at `azimuth_deg` for headphones."""
    hrir = sofa_hrir(Path(hrtf), azimuth_deg, rate) if hrtf else spherical_head_hrir(azimuth_deg, rate)
    return torch.stack([AF.fftconvolve(mono, hrir[ear])[: mono.numel()] for ear in range(2)])


def render_spatial(
    mono: torch.Tensor,
    rate: int,
    mode: str = "mono",
    width: float = 1.0,
    azimuth: float = 30.0,
    hrtf: Path | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """`[samples] -> [channels, samples]` for `mode`."""
    if mode == "mono":
        return mono[None]
    if mode == "stereo":
        return stereo(mono, width, seed)
    if mode == "binaural":
        return binaural(mono, rate, azimuth, hrtf)
    raise DistillError(f"Unknown spatial mode '{mode}'; choose one of {', '.join(MODES)}.")
