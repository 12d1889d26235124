"""Phase-gradient heap integration (Průša, Balazs, Søndergaard 2017): STFT phase from magnitude alone.

For a Gaussian window exp(-π t² / λ), the STFT's log-magnitude and phase are the real and
imaginary parts of one analytic function, so the phase gradient follows from the
magnitude's gradient (in the convention that references phase to the window's centre,
x in samples, ω in cycles per sample):

    ∂φ/∂x = (1/λ) ∂log|V|/∂ω + 2πω        (instantaneous frequency)
    ∂φ/∂ω = -λ ∂log|V|/∂x                 (local group delay)

A Hann window of length L behaves like a Gaussian with λ = 0.25645 L² (the paper's
table). On the STFT grid (hop a, FFT size M) that gives, per frame and per bin,

    Δφ per hop  = a · ((M/λ) ∂s/∂m + 2πm/M)
    Δφ per bin  = -(λ/(aM)) ∂s/∂n + π       (+π: torch.stft references phase to the
                                              window's start, not its centre)

with s = log|X| and centred differences. The heap integration spreads phase outwards from
the loudest coefficient, always continuing from the loudest coefficient already done to
its not-yet-done neighbours (trapezoidal rule), so errors start where they matter least.
Coefficients below the last tolerance times the maximum get a seeded random phase instead.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np

HANN_LAMBDA = 0.25645  # λ / L² of the Gaussian that best matches a Hann window of length L
LOG_FLOOR = 11.5  # nats under the maximum log-magnitude (about 100 dB): below it gradients are noise


@dataclass(frozen=True)
class Grid:
    """The STFT lattice: hop `a`, FFT size `M`, window length (a Hann window)."""

    hop: int
    n_fft: int
    win_length: int

    @property
    def bins(self) -> int:
        return self.n_fft // 2 + 1

    @property
    def gaussian_lambda(self) -> float:
        return HANN_LAMBDA * self.win_length**2


def phase_derivatives(magnitude: np.ndarray, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """`[bins, frames]` magnitude -> phase advance per hop and per bin, both `[bins, frames]` radians."""
    log_mag = np.log(np.maximum(magnitude, np.finfo(np.float64).tiny))
    log_mag = np.maximum(log_mag, log_mag.max() - LOG_FLOOR)
    along_bins = np.zeros_like(log_mag)
    along_bins[1:-1] = (log_mag[2:] - log_mag[:-2]) / 2  # zero at DC and Nyquist, where |X| is symmetric
    along_frames = np.gradient(log_mag, axis=1) if log_mag.shape[1] > 1 else np.zeros_like(log_mag)
    lam, a, m_size = grid.gaussian_lambda, grid.hop, grid.n_fft
    bins = np.arange(grid.bins, dtype=np.float64)[:, None]
    per_hop = a * (m_size / lam * along_bins + 2 * math.pi * bins / m_size)
    per_bin = -lam / (a * m_size) * along_frames + math.pi
    return per_hop, per_bin


def integrate_phase(
    magnitude: np.ndarray,
    grid: Grid,
    known: np.ndarray | None = None,
    tols: tuple[float, ...] = (1e-1, 1e-4),
    seed: int = 0,
) -> np.ndarray:
    """`[bins, frames]` magnitude -> phase `[bins, frames]` (radians, not wrapped).

    `tols` are relative magnitudes, decreasing: the first pass integrates only the
    coefficients above `tols[0]` times the maximum, so each strong component starts on its
    own rather than being reached through weak, noisy bridges; each later pass continues
    from everything decided so far down to its own threshold. `known`: the phase of the
    first `known.shape[1]` frames, already decided (for example by the previous chunk of a
    long render); integration continues from them, so the result joins them without a jump.
    """
    bins, frames = magnitude.shape
    per_hop, per_bin = phase_derivatives(magnitude, grid)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(-math.pi, math.pi, size=(frames, bins))  # time-major: index = frame * bins + bin
    decided = np.zeros((frames, bins), bool)
    if known is not None and known.shape[1] > 0:
        phase[: known.shape[1]] = known.T
        decided[: known.shape[1]] = True
    order = np.argsort(-magnitude.T, axis=None, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    lists = ((0.5 * per_hop.T).ravel().tolist(), (0.5 * per_bin.T).ravel().tolist(), order.tolist(), rank.tolist())
    phase_flat = phase.ravel().tolist()
    peak = magnitude.max()
    for tol in tols:
        significant = tol * peak < magnitude.T if peak > 0 else np.zeros((frames, bins), bool)
        seeds = np.flatnonzero(decided & significant).tolist()
        done = bytearray((decided | ~significant).ravel().tobytes())
        _heap_integrate(phase_flat, done, *lists, seeds, bins)
        decided |= significant
    return np.asarray(phase_flat).reshape(frames, bins).T


def _heap_integrate(
    phase: list[float],
    done: bytearray,
    half_hop: list[float],
    half_bin: list[float],
    order: list[int],
    rank: list[int],
    seeds: list[int],
    bins: int,
) -> None:
    """The sequential core, on flat time-major lists (plain Python numbers are fastest here).

    `order` lists every coefficient loudest first and `rank` is its inverse: the heap holds
    ranks (plain ints compare faster than tuples), so popping the smallest rank pops the
    loudest coefficient. When the heap runs dry, the loudest coefficient not yet done starts
    a new island of energy with phase 0.
    """
    size = len(phase)
    heap = sorted(rank[i] for i in seeds)
    push, pop = heapq.heappush, heapq.heappop
    cursor = 0
    while True:
        if not heap:
            while cursor < size and done[order[cursor]]:
                cursor += 1
            if cursor == size:
                return
            start = order[cursor]
            done[start] = 1
            phase[start] = 0.0
            heap.append(cursor)
        while heap:
            i = order[pop(heap)]
            here = phase[i]
            m = i % bins
            j = i + 1
            if m + 1 < bins and not done[j]:
                phase[j] = here + half_bin[i] + half_bin[j]
                done[j] = 1
                push(heap, rank[j])
            j = i - 1
            if m > 0 and not done[j]:
                phase[j] = here - half_bin[i] - half_bin[j]
                done[j] = 1
                push(heap, rank[j])
            j = i + bins
            if j < size and not done[j]:
                phase[j] = here + half_hop[i] + half_hop[j]
                done[j] = 1
                push(heap, rank[j])
            j = i - bins
            if j >= 0 and not done[j]:
                phase[j] = here - half_hop[i] - half_hop[j]
                done[j] = 1
                push(heap, rank[j])
