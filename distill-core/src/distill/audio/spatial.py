"""Spatial rendering, always after the mono vocoder output: mono, stereo, binaural.

- stereo: mid/side. The mono signal is the mid; the side is a decorrelated copy of it
  (a seeded random-phase all-pass, so it has the same spectrum but no common phase), and
  `width` scales the side: 0 is mono in two channels, 1 a wide image.
- binaural: convolution with a head-related impulse response pair for one direction, from
  a SOFA file (`hrtf`), or, offline and by default, from a built-in spherical-head model:
  interaural time difference by Woodworth's formula and a head-shadow low-pass on the far
  ear.

Both are FIR filters run on a fixed grid of blocks (`BlockFir`), so a render streamed in
pieces is placed exactly as the whole signal would be, in the memory of one block.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import torch
import torchaudio.functional as AF

from distill.audio.resampling import rate_problem, resample
from distill.errors import DistillError

MODES = ("mono", "stereo", "binaural")
HEAD_RADIUS_M = 0.0875
SPEED_OF_SOUND = 343.0
FIR_BLOCK = 1 << 16  # input samples per FFT block
MAX_MEASUREMENTS = 100_000  # directions in a SOFA file (a dense sphere has a few thousand)
MAX_TAPS = 1 << 16  # samples per impulse response: over a second, far beyond any head's


class BlockFir:
    """Causal FIR filters `taps [C, T]` on a mono signal fed in pieces -> `[C, samples]` pieces.

    Overlap-save on blocks of `block` input samples counted from the first sample, in
    float64: however the input is cut, the output is the same samples (it lags by up to
    a block until `finish`).
    """

    def __init__(self, taps: torch.Tensor, block: int = FIR_BLOCK) -> None:
        self.taps = taps.shape[-1]
        self.block = block
        self.fft_size = 1 << math.ceil(math.log2(block + self.taps - 1))
        self.spectrum = torch.fft.rfft(taps.double(), n=self.fft_size)
        self.history = torch.zeros(self.taps - 1, dtype=torch.float64)
        self.pending = torch.zeros(0)

    def process(self, mono: torch.Tensor) -> Iterator[torch.Tensor]:
        """Filtered samples for every whole block the input now completes."""
        self.pending = torch.cat([self.pending, mono.float()])
        while self.pending.numel() >= self.block:
            block, self.pending = self.pending[: self.block], self.pending[self.block :]
            yield self._convolve(block)

    def finish(self) -> Iterator[torch.Tensor]:
        """The filtered rest of the input; the filters' tails past its end are cut."""
        length = self.pending.numel()
        if length:
            yield self._convolve(torch.nn.functional.pad(self.pending, (0, self.block - length)))[:, :length]
            self.pending = self.pending[:0]

    def _convolve(self, block: torch.Tensor) -> torch.Tensor:
        frame = torch.cat([self.history, block.double()])
        out = torch.fft.irfft(torch.fft.rfft(frame, n=self.fft_size) * self.spectrum, n=self.fft_size)
        self.history = frame[frame.numel() - (self.taps - 1) :]
        return out[:, self.taps - 1 : self.taps - 1 + self.block].float()


def decorrelation_fir(seed: int, length: int = 1024) -> torch.Tensor:
    """`[length]` all-pass taps: the same magnitude spectrum with random phase."""
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(length // 2 + 1, generator=g) * 2 * math.pi
    phase[0] = 0.0
    phase[-1] = 0.0
    return torch.fft.irfft(torch.polar(torch.ones_like(phase), phase), n=length)


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


class SofaProblem(ValueError):
    """What is wrong with a SOFA file, in a few words."""


def _nearest(positions: torch.Tensor, azimuth_deg: float) -> int:
    """The measurement nearest `azimuth_deg` at ear level, of SOFA source positions `[M, 3]` (az, el, r)."""
    wanted = (-azimuth_deg) % 360  # SOFA azimuth is counter-clockwise (positive to the left)
    difference = (positions[:, 0] - wanted + 180) % 360 - 180
    return int((difference.abs() + positions[:, 1].abs()).argmin())


def _sofa_measurement(path: Path, azimuth_deg: float) -> tuple[torch.Tensor, object]:
    """The nearest measurement's `[2, taps]` and the file's sample rate, as stored; read alone, not the whole file."""
    import h5py  # only binaural rendering from a file needs HDF5

    with h5py.File(path, "r") as sofa:
        irs, where = sofa["Data.IR"], sofa["SourcePosition"]
        if irs.ndim != 3 or irs.shape[1] != 2 or not 1 <= irs.shape[0] <= MAX_MEASUREMENTS:
            raise SofaProblem("its impulse responses are not measurements of two ears")
        if not 1 <= irs.shape[2] <= MAX_TAPS:
            raise SofaProblem(f"its impulse responses are {irs.shape[2]:,} samples long")
        if where.shape != (irs.shape[0], 3):
            raise SofaProblem("its source positions do not match its measurements")
        positions = torch.tensor(where[()], dtype=torch.float64)
        if not torch.isfinite(positions).all():
            raise SofaProblem("its source positions hold NaN or infinite values")
        measured = torch.tensor(irs[_nearest(positions, azimuth_deg)], dtype=torch.float32)
        return measured, np.asarray(sofa["Data.SamplingRate"][()]).reshape(-1)[0].item()


def sofa_hrir(path: Path, azimuth_deg: float, rate: int) -> torch.Tensor:
    """`[2, taps]` from a SOFA (HDF5) file: the measurement nearest `azimuth_deg` at ear level.

    A damaged file (a sample rate of 0, NaN impulse responses, shapes that do not fit) is
    refused in one sentence before anything is rendered through it.
    """
    try:
        measured, stored_rate = _sofa_measurement(Path(path), azimuth_deg)
        if not (isinstance(stored_rate, int | float) and float(stored_rate).is_integer()):
            raise SofaProblem(f"its sample rate {stored_rate!r} is not a whole number of Hz")
        sofa_rate = int(stored_rate)
        problem = rate_problem(sofa_rate)
        if problem is not None:
            raise SofaProblem(problem)
        if not torch.isfinite(measured).all():
            raise SofaProblem("its impulse responses hold NaN or infinite values")
        if not measured.abs().amax() > 0:
            raise SofaProblem("its impulse responses are silent")
    except SofaProblem as exc:
        raise DistillError(f"{path} cannot be used as an HRTF: {exc}.") from exc
    except (OSError, KeyError, TypeError, IndexError, ValueError) as exc:  # h5py's, for files that are not SOFA
        raise DistillError(
            f"{path} is not a readable SOFA HRTF file ({str(exc)[:120] or type(exc).__name__})."
        ) from exc
    return resample(measured, sofa_rate, rate)


class Placement:
    """Places a mono render that arrives in pieces: `process` each piece in order, then `finish`.

    mono: the piece itself `[1, n]`. stereo: mid/side `[2, n]`, the side a decorrelated
    copy scaled by `width`. binaural: the source at `azimuth` through a head-related
    impulse response pair (`hrtf` SOFA file, or the built-in spherical head) `[2, n]`.
    """

    def __init__(
        self,
        rate: int,
        mode: str = "mono",
        width: float = 1.0,
        azimuth: float = 30.0,
        hrtf: Path | None = None,
        seed: int = 0,
    ) -> None:
        if mode not in MODES:
            raise DistillError(f"Unknown spatial mode '{mode}'; choose one of {', '.join(MODES)}.")
        if mode == "stereo" and not 0.0 <= width <= 2.0:
            raise DistillError("Stereo width must lie between 0 (mono) and 2 (extra wide).")
        self.mode, self.width = mode, width
        self.fir: BlockFir | None = None
        if mode == "stereo":
            self.fir = BlockFir(decorrelation_fir(seed)[None])
        elif mode == "binaural":
            self.fir = BlockFir(sofa_hrir(Path(hrtf), azimuth, rate) if hrtf else spherical_head_hrir(azimuth, rate))
        self._mid = torch.zeros(0)  # stereo: the mono samples whose side is not out yet

    def process(self, mono: torch.Tensor) -> Iterator[torch.Tensor]:
        """`[n]` -> `[channels, m]` pieces."""
        if self.fir is None:
            yield mono[None]
            return
        if self.mode == "stereo":
            self._mid = torch.cat([self._mid, mono.float()])
        for filtered in self.fir.process(mono):
            yield self._place(filtered)

    def finish(self) -> Iterator[torch.Tensor]:
        """What is still held back, once the last piece is in."""
        if self.fir is not None:
            for filtered in self.fir.finish():
                yield self._place(filtered)

    def _place(self, filtered: torch.Tensor) -> torch.Tensor:
        if self.mode == "binaural":
            return filtered
        mid, self._mid = self._mid[: filtered.shape[-1]], self._mid[filtered.shape[-1] :]
        side = filtered[0] * self.width * 0.5
        return torch.stack([mid + side, mid - side]) / (1 + 0.5 * self.width)


def place(pieces: Iterable[torch.Tensor], placement: Placement) -> Iterator[torch.Tensor]:
    """A stream of mono pieces -> the stream of placed `[channels, n]` pieces."""
    for piece in pieces:
        yield from placement.process(piece)
    yield from placement.finish()


def render_spatial(
    mono: torch.Tensor,
    rate: int,
    mode: str = "mono",
    width: float = 1.0,
    azimuth: float = 30.0,
    hrtf: Path | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """`[samples] -> [channels, samples]` for `mode`, the whole signal at once."""
    return torch.cat(list(place([mono], Placement(rate, mode, width, azimuth, hrtf, seed))), dim=-1)
