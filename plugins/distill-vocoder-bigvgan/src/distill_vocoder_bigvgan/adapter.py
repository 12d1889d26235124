"""Mapping the core's mel onto the mel BigVGAN-v2 was trained on (docs/benchmarks.md states the measure).

Core: 48 kHz, centred frames every 512 samples, HTK power mel, log1p.
BigVGAN: 44.1 kHz, frame k spanning samples [512k - 768, 512k + 1280) (centre 512k + 256),
Slaney magnitude mel up to 22.05 kHz, log(clamp(x, 1e-5)).

So: undo log1p; move to BigVGAN's frame times (interpolating band magnitudes); explain
each frame's bands as a non-negative set of spectral lines seen through the model's Hann
window and filterbank (Richardson-Lucy); gather each isolated peak of lines into one line
at its centroid (a sine between two candidate lines is fitted as both, whose leakage adds
where a single sine's sidelobes are lower); render the lines through a 44.1 kHz Hann
window, which moves every peak onto 44.1 kHz bins with the right width and leakage;
take magnitudes, scaled by what the spread the bands cannot resolve leaves of them,
through BigVGAN's Slaney filterbank; log-clamp.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
import torchaudio.functional as AF

from distill.vocoders import SpectrogramConfig, mel_filterbank, mel_to_power

TARGET_RATE = 44100
TARGET_FFT = 2048
TARGET_HOP = 512
TARGET_MELS = 128
LOG_FLOOR = 1e-5
ITERATIONS = 96  # Richardson-Lucy steps: enough to separate partials, cheap next to the generator
EXPONENT = 2.0  # each step's correction squared (Meinel 1986): twice the progress per step; 3 oscillates
FINE_LINES_PER_BIN = 4  # line spacing where the model's bands are narrower than two bins
KERNEL_BINS = 48  # Hann leakage kept this many bins either side of a line (below -110 dB beyond)
CHUNK_FRAMES = 1024  # frames fitted at a time: memory stays flat for any length
FLOOR = 1e-30  # divisions clamp here: far below any band power, far above float32 underflow
PEAK_LINES = 8  # a peak is the lines within this many candidates of a local maximum ...
PEAK_SHARE = 0.999  # ... holding this share of the power within twice as many: then it is one sine
HANN_NOISE_BANDWIDTH = 1.5  # bins: noise power a Hann bin gathers, so adjacent bins are not independent


@lru_cache(maxsize=4)
def slaney_filterbank(rate: int = TARGET_RATE, n_fft: int = TARGET_FFT, n_mels: int = TARGET_MELS) -> torch.Tensor:
    """BigVGAN's filterbank `[n_fft // 2 + 1, n_mels]`: Slaney scale and area normalisation (librosa's default)."""
    return AF.melscale_fbanks(n_fft // 2 + 1, 0.0, rate / 2, n_mels, rate, norm="slaney", mel_scale="slaney")


def target_frames(source_frames: int, config: SpectrogramConfig) -> int:
    """BigVGAN frames covering the span the source mel stands for (`frames * hop` samples)."""
    seconds = source_frames * config.hop_length / config.sample_rate
    return max(1, math.ceil(seconds * TARGET_RATE / TARGET_HOP))


def _frame_positions(count: int, config: SpectrogramConfig) -> torch.Tensor:
    """Where BigVGAN frame k's centre falls, in (fractional) source frames."""
    centres = (torch.arange(count, dtype=torch.float64) * TARGET_HOP + TARGET_HOP / 2) / TARGET_RATE
    return centres * config.sample_rate / config.hop_length


def _interpolate_frames(values: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
    """Linear interpolation along the last axis at fractional `positions` (clamped to the ends)."""
    last = values.shape[-1] - 1
    positions = positions.clamp(0, last).to(values.device)
    left = positions.floor().long().clamp(max=max(last - 1, 0))
    right = (left + 1).clamp(max=last)
    weight = (positions - left).to(values.dtype)
    return values[..., left] * (1 - weight) + values[..., right] * weight


def _move_frames(power: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    """Band powers `[B, n_mels, frames]` at BigVGAN's frame centres `[B, n_mels, frames_44k]`.

    Interpolated as magnitudes: across an onset or a decay, interpolating power leaks
    the loud frame into the quiet one far more than either window saw.
    """
    positions = _frame_positions(target_frames(power.shape[-1], config), config)
    return _interpolate_frames(power.sqrt(), positions).square()


def _hann_leakage(offsets: torch.Tensor, n_fft: int) -> torch.Tensor:
    """Power a periodic Hann window of `n_fft` passes from a line `offsets` bins away, 1 on the bin.

    The window's spectrum is three shifted Dirichlet kernels; float64 offsets.
    """

    def dirichlet(x: torch.Tensor) -> torch.Tensor:
        at_peak = torch.remainder(x, n_fft).abs() < 1e-9
        safe = torch.where(at_peak, torch.full_like(x, 0.5), x)
        phase = torch.exp(-1j * math.pi * safe * (n_fft - 1) / n_fft)
        value = phase * torch.sin(math.pi * safe) / torch.sin(math.pi * safe / n_fft)
        return torch.where(at_peak, torch.full_like(value, n_fft), value)

    response = 0.5 * dirichlet(offsets) - 0.25 * dirichlet(offsets - 1) - 0.25 * dirichlet(offsets + 1)
    return response.abs().square() / (n_fft / 2) ** 2


def _htk_band_spacing(frequencies: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    """Width in Hz of one step of the model's HTK mel scale at `frequencies` (Hz)."""
    mel_span = 2595 * (math.log10(1 + config.f_max_hz / 700) - math.log10(1 + config.f_min / 700))
    return mel_span / (config.n_mels + 1) * (700 + frequencies) * math.log(10) / 2595


def _line_positions(config: SpectrogramConfig) -> torch.Tensor:
    """Candidate line frequencies, in source bins: finer where bands resolve less than two bins."""
    bin_hz = config.sample_rate / config.n_fft
    fine = torch.arange((config.n_freqs - 1) * FINE_LINES_PER_BIN + 1, dtype=torch.float64) / FINE_LINES_PER_BIN
    narrow = fine[_htk_band_spacing(fine * bin_hz, config) < 2 * bin_hz]
    coarse_from = math.ceil(narrow.max().item()) if narrow.numel() else 0
    return torch.cat([fine[fine < coarse_from], torch.arange(coarse_from, config.n_freqs, dtype=torch.float64)])


def _leakage_entries(
    lines: torch.Tensor, n_fft: int, bins: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """(line index, bin, power) for the power each line (float64, in bins of this analysis)
    puts in bins 0..`bins` - 1 within `KERNEL_BINS` of it, with its mirror images at minus
    the line and n_fft minus the line, as a real signal has."""
    reach = torch.arange(-KERNEL_BINS, KERNEL_BINS + 1, dtype=torch.float64)
    index = torch.arange(lines.numel())[:, None].expand(-1, reach.numel())
    for image in (lines, -lines, n_fft - lines):
        near = image.round()[:, None] + reach
        offsets = near - image[:, None]
        kept = (offsets.abs() <= KERNEL_BINS) & (near >= 0) & (near < bins)
        yield index[kept], near[kept].long(), _hann_leakage(offsets[kept], n_fft)


def _leakage_with_images(bins: int, lines: torch.Tensor, n_fft: int) -> torch.Tensor:
    """`_leakage_entries` as a dense `[bins, lines]` matrix."""
    total = torch.zeros(bins, lines.numel(), dtype=torch.float64)
    for line, near, power in _leakage_entries(lines, n_fft, bins):
        total.index_put_((near, line), power, accumulate=True)
    return total


def _unresolved_magnitude(bins: int, config: SpectrogramConfig) -> torch.Tensor:
    """Per 44.1 kHz bin `[bins]`: E[sum |X|] / sum sqrt(E|X|^2) over the bins one band cannot resolve.

    A band fixes only the total power of the n independent bins under it (its width over
    Hann's noise bandwidth: neighbouring bins overlap); for a noise-like spectrum those powers are
    exponential with that sum, so each magnitude is sqrt(power) times
    Gamma(3/2) Gamma(n) / Gamma(n + 1/2) * sqrt(n): 1 for n = 1, sqrt(pi) / 2 for large n.
    """
    frequencies = torch.arange(bins, dtype=torch.float64) * TARGET_RATE / TARGET_FFT
    bin_hz = config.sample_rate / config.n_fft
    n = (_htk_band_spacing(frequencies, config) / (HANN_NOISE_BANDWIDTH * bin_hz)).clamp_min(1.0)
    return torch.exp(math.lgamma(1.5) + torch.lgamma(n) - torch.lgamma(n + 0.5)) * n.sqrt()


@dataclass(frozen=True)
class _Banded:
    """A mostly-zero `[rows, cols]` matrix kept as dense blocks: (row start, col start, block)."""

    blocks: tuple[tuple[int, int, torch.Tensor], ...]
    rows: int
    cols: int

    @classmethod
    def from_dense(cls, matrix: torch.Tensor, rows_per_block: int) -> _Banded:
        """Split into row blocks, each cut to the columns it touches."""
        blocks = []
        for start in range(0, matrix.shape[0], rows_per_block):
            part = matrix[start : start + rows_per_block]
            used = part.abs().sum(0).nonzero()
            if used.numel():
                lo, hi = used.min().item(), used.max().item() + 1
                blocks.append((start, lo, part[:, lo:hi].contiguous()))
        return cls(tuple(blocks), matrix.shape[0], matrix.shape[1])

    def __matmul__(self, x: torch.Tensor) -> torch.Tensor:
        """`[rows, cols] @ [B, cols, T] -> [B, rows, T]`."""
        out = x.new_zeros(x.shape[0], self.rows, x.shape[-1])
        for r, c, block in self.blocks:
            out[:, r : r + block.shape[0]] += torch.matmul(block, x[:, c : c + block.shape[1]])
        return out

    def transposed_matmul(self, y: torch.Tensor) -> torch.Tensor:
        """`[rows, cols].T @ [B, rows, T] -> [B, cols, T]`."""
        out = y.new_zeros(y.shape[0], self.cols, y.shape[-1])
        for r, c, block in self.blocks:
            out[:, c : c + block.shape[1]] += torch.matmul(block.T, y[:, r : r + block.shape[0]])
        return out


@dataclass(frozen=True)
class _Operators:
    """Everything `adapt_mel` multiplies by, for one config and device."""

    bands_of_lines: _Banded  # [n_mels, lines]: the model's band powers a unit line produces
    back_projection: _Banded  # the same, each column divided by its sum (Richardson-Lucy's step)
    band_mass: torch.Tensor  # [n_mels, 1]: the band powers a unit line on every candidate gives
    spectrum_of_lines: _Banded  # [1025, lines]: 44.1 kHz power spectrum of each unit line
    target_bins: torch.Tensor  # [lines]: where each candidate line falls, in 44.1 kHz bins
    bigvgan_bands: _Banded  # [128, 1025]: Slaney bands, times `_unresolved_magnitude` per bin


@lru_cache(maxsize=8)
def _operators(config: SpectrogramConfig, device: str) -> _Operators:
    """Built once per config and device (in float64, kept in float32), outside inference
    mode so that callers in and out of it can both use them."""
    with torch.inference_mode(False):
        lines = _line_positions(config)
        seen = _leakage_with_images(config.n_freqs, lines, config.n_fft)
        bands = mel_filterbank(config, "cpu").double().T @ seen
        in_target_bins = lines * (config.sample_rate / config.n_fft) / (TARGET_RATE / TARGET_FFT)
        rendered = _leakage_with_images(TARGET_FFT // 2 + 1, in_target_bins, TARGET_FFT) * (
            in_target_bins < TARGET_FFT / 2
        )
        slaney = slaney_filterbank().double() * _unresolved_magnitude(TARGET_FFT // 2 + 1, config)[:, None]

        def banded(matrix: torch.Tensor, rows_per_block: int) -> _Banded:
            return _Banded.from_dense(matrix.float().to(device), rows_per_block)

        return _Operators(
            bands_of_lines=banded(bands, 8),
            back_projection=banded(bands / bands.sum(0).clamp_min(FLOOR), 8),
            band_mass=bands.sum(1, keepdim=True).float().to(device),
            spectrum_of_lines=banded(rendered, 64),
            target_bins=in_target_bins.float().to(device),
            bigvgan_bands=banded(slaney.T, 8),
        )


def _fit_lines(bands: torch.Tensor, ops: _Operators) -> torch.Tensor:
    """Band powers `[B, n_mels, T]` -> non-negative line powers `[B, lines, T]` that reproduce them.

    Richardson-Lucy (multiplicative, so non-negative throughout) from the flat start's
    first step: where bands are narrow it gathers each partial onto the lines under it,
    and where they are wide it keeps the power evenly spread rather than ringing. A pure
    tone inside a wide band converges slowly (its position is told only by the ratio of
    the two bands it falls in), hence the many, accelerated steps: on 8 sines they took the
    error from 0.64 to 0.49 nats and left the recorded sets unchanged or better.
    """
    lines = ops.back_projection.transposed_matmul(bands / ops.band_mass.clamp_min(FLOOR))
    for _ in range(ITERATIONS):
        ratio = bands / (ops.bands_of_lines @ lines).clamp_min(FLOOR)
        lines = lines * ops.back_projection.transposed_matmul(ratio).pow(EXPONENT)
    return lines


def _window_sums(x: torch.Tensor, half: int) -> torch.Tensor:
    """`[R, N]` -> `[R, N]`: each candidate's sum with its `half` neighbours either side (zeros past the ends)."""
    return F.avg_pool1d(x[:, None], 2 * half + 1, 1, half, count_include_pad=True)[:, 0] * (2 * half + 1)


def _gather_peaks(lines: torch.Tensor, ops: _Operators) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
    """Line powers `[B, lines, T]` -> (the same without isolated peaks, each peak as one line).

    A peak is the `PEAK_LINES` candidates either side of a local maximum, when they hold
    `PEAK_SHARE` of the power within twice that distance: Richardson-Lucy leaves a sine
    spread over the candidates around it, centred on its frequency. Noise-like spectra and
    dense partials never qualify, so recordings keep their lines (on the shared sets the
    error moved by at most 0.004 nats; on 8 pure tones it fell from 0.49 to 0.30).
    Peaks come back as (batch, frame, 44.1 kHz bin of the centroid, power), one entry each.
    """
    batch, count, frames = lines.shape
    rows = lines.transpose(1, 2).reshape(-1, count)  # [B * T, lines]
    power = _window_sums(rows, PEAK_LINES)
    span = 2 * PEAK_LINES + 1
    peak = (rows >= F.max_pool1d(rows[:, None], span, 1, PEAK_LINES)[:, 0]) & (power > 0)
    peak &= power >= PEAK_SHARE * _window_sums(rows, 2 * PEAK_LINES)
    # equal maxima would each claim the same power: keep the first of any that share it
    peak &= F.max_pool1d(F.pad(peak[:, None].float(), (2 * PEAK_LINES, 0)), 2 * PEAK_LINES, 1)[:, 0, :count] == 0
    centroid = _window_sums(rows * ops.target_bins, PEAK_LINES) / power.clamp_min(FLOOR)
    taken = F.max_pool1d(peak[:, None].float(), span, 1, PEAK_LINES)[:, 0] > 0
    rest = torch.where(taken, torch.zeros_like(rows), rows).view(batch, frames, count).transpose(1, 2)
    row, line = peak.nonzero(as_tuple=True)
    return rest, (row // frames, row % frames, centroid[row, line], power[row, line])


def _add_peaks(spectrum: torch.Tensor, peaks: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """Add each gathered peak's 44.1 kHz Hann leakage, at its exact frequency, to `spectrum` `[B, 1025, T]`."""
    b, t, centre, power = peaks
    if not centre.numel():
        return spectrum
    b, t = b.cpu(), t.cpu()
    power = (power.double() * (centre < TARGET_FFT / 2)).cpu()
    for peak, near, leaked in _leakage_entries(centre.double().cpu(), TARGET_FFT, spectrum.shape[1]):
        where = tuple(i.to(spectrum.device) for i in (b[peak], near, t[peak]))
        spectrum.index_put_(where, (leaked * power[peak]).to(spectrum), accumulate=True)
    return spectrum


def _bigvgan_log_mel(bands: torch.Tensor, ops: _Operators) -> torch.Tensor:
    """Source band powers at BigVGAN's frame times `[B, n_mels, T]` -> BigVGAN log-mel `[B, 128, T]`."""
    lines, peaks = _gather_peaks(_fit_lines(bands, ops), ops)
    spectrum = _add_peaks(ops.spectrum_of_lines @ lines, peaks)
    return (ops.bigvgan_bands @ (spectrum + 1e-9).sqrt()).clamp_min(LOG_FLOOR).log()


def adapt_mel(mel: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    """Core log1p mel `[B, n_mels, frames]` -> BigVGAN log-mel `[B, 128, frames_44k]` (float32, same device)."""
    bands = _move_frames(mel_to_power(mel), config)
    ops = _operators(config, str(mel.device))
    return torch.cat(
        [
            _bigvgan_log_mel(bands[..., start : start + CHUNK_FRAMES], ops)
            for start in range(0, bands.shape[-1], CHUNK_FRAMES)
        ],
        dim=-1,
    )


def reference_mel(wav: torch.Tensor) -> torch.Tensor:
    """BigVGAN's own mel of 44.1 kHz audio `[B, samples] -> [B, 128, samples // 512]`.

    Reflect-pad by (n_fft - hop) / 2, uncentred Hann STFT, sqrt(power + 1e-9), Slaney
    bands, log-clamp: the input the generator was trained on, used to measure the adapter.
    """
    pad = (TARGET_FFT - TARGET_HOP) // 2
    padded = torch.nn.functional.pad(wav[:, None], (pad, pad), mode="reflect")[:, 0]
    spec = torch.stft(
        padded,
        TARGET_FFT,
        TARGET_HOP,
        window=torch.hann_window(TARGET_FFT, device=wav.device),
        center=False,
        return_complex=True,
    )
    magnitude = (spec.real.pow(2) + spec.imag.pow(2) + 1e-9).sqrt()
    bands = torch.einsum("bft,fm->bmt", magnitude, slaney_filterbank().to(wav.device))
    return bands.clamp_min(LOG_FLOOR).log()
