"""Band-limited resampling (torchaudio's windowed-sinc resampler), in bounded memory.

torchaudio resamples by one strided convolution over the whole signal, whose working
memory is several times the signal's: an hour at 44.1 kHz needs about 4 GB. Signals are
therefore resampled in blocks of whole resampling periods, each read with enough context
on both sides for the filter, which gives the same samples as one pass; `Resampler` does
it for a signal that arrives in pieces (a render streamed to disk).

torchaudio's filter holds one row per output phase: `new / gcd` rows of `orig / gcd` taps,
gigabytes between nearly coprime rates (44,101 -> 48,000 Hz). Between such rates the same
filter is evaluated per output sample instead (`_resample_direct`): memory then follows
the audio, not the rates. Rates outside `MIN_RATE`..`MAX_RATE` are refused.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator

import torch
import torchaudio.functional as AF

from distill.errors import DistillError

LOWPASS_WIDTH = 64
ROLLOFF = 0.9475937167399596
BETA = 14.769656459379492
BLOCK_SAMPLES = 1 << 20  # input samples per block for long signals
MIN_RATE = 1_000  # Hz: below this a "recording" holds no audible band
MAX_RATE = 768_000  # Hz: the fastest rate audio hardware records at
KERNEL_ELEMENTS = 1 << 22  # largest torchaudio filter (phases x taps) built; beyond it, `_resample_direct`
DIRECT_ELEMENTS = 1 << 20  # output samples x taps weighed at once by `_resample_direct`
PHASES = 2048  # fractional positions `_resample_direct` tabulates its weights at


def rate_problem(rate: object) -> str | None:
    """Why `rate` (Hz) is no sample rate Distill works with, or None."""
    if not isinstance(rate, int) or isinstance(rate, bool):
        return f"its sample rate {rate!r} is not a whole number of Hz"
    if not MIN_RATE <= rate <= MAX_RATE:
        return f"its sample rate of {rate:,} Hz is outside the {MIN_RATE:,} to {MAX_RATE:,} Hz Distill reads"
    return None


def _check_rates(*rates: int) -> None:
    for rate in rates:
        problem = rate_problem(rate)
        if problem is not None:
            raise DistillError(f"Cannot resample audio: {problem}.")


def _kernel_elements(orig_freq: int, new_freq: int) -> int:
    """How many filter values torchaudio builds for the reduced rates `orig_freq` -> `new_freq`."""
    width = math.ceil(LOWPASS_WIDTH * orig_freq / (ROLLOFF * min(orig_freq, new_freq)))
    return new_freq * (orig_freq + 2 * width)


def _resample_direct(wav: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    """What `AF.resample` with our filter gives, in memory that follows the audio, not the rates.

    Output sample j sums input samples i near its centre c = j * orig / new, weighted by the
    Kaiser-windowed sinc torchaudio uses at t = (i - c) * min(orig, new) * rolloff / orig
    (zero beyond `LOWPASS_WIDTH` zero crossings; the signal is zero outside its ends, as
    there). The weights depend only on where c falls between two input samples: they are
    tabulated for `PHASES` such fractions and interpolated linearly (error below 1e-6).
    """
    base = min(orig_freq, new_freq) * ROLLOFF
    reach = math.ceil(LOWPASS_WIDTH * orig_freq / base)  # input samples either side of an output's centre
    taps = 2 * reach + 2
    length = wav.shape[-1]
    total = math.ceil(new_freq * length / orig_freq)
    flat = wav.reshape(-1, length)
    fractions = torch.arange(PHASES + 1, dtype=torch.float64)[:, None] / PHASES
    t = ((torch.arange(taps, dtype=torch.float64) - reach - fractions) * (base / orig_freq)).clamp(
        -LOWPASS_WIDTH, LOWPASS_WIDTH
    )
    window = torch.special.i0(BETA * torch.sqrt(1 - (t / LOWPASS_WIDTH) ** 2)) / torch.special.i0(
        torch.tensor(BETA, dtype=torch.float64)
    )
    bank = (torch.sinc(t) * window * (base / orig_freq)).to(flat.dtype)  # [PHASES + 1, taps]
    slope = bank[1:] - bank[:-1]
    windows = torch.nn.functional.pad(flat, (taps, taps)).unfold(-1, taps, 1)  # a view: no copy per tap
    out = flat.new_empty(flat.shape[0], total)
    per_block = max(1, DIRECT_ELEMENTS // taps)
    for start in range(0, total, per_block):
        j = torch.arange(start, min(total, start + per_block))
        phase = ((j * orig_freq) % new_freq).double() * (PHASES / new_freq)
        row = phase.long()
        kernel = bank[row] + slope[row] * (phase - row).to(flat.dtype)[:, None]
        first = (j * orig_freq) // new_freq - reach + taps  # in the padded signal
        out[:, start : start + j.numel()] = (windows[:, first] * kernel).sum(-1)
    return out.reshape(*wav.shape[:-1], total)


def _resample_once(wav: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    if _kernel_elements(orig_freq, new_freq) > KERNEL_ELEMENTS:
        return _resample_direct(wav, orig_freq, new_freq)
    return AF.resample(
        wav,
        orig_freq,
        new_freq,
        lowpass_filter_width=LOWPASS_WIDTH,
        rolloff=ROLLOFF,
        resampling_method="sinc_interp_kaiser",
        beta=BETA,
    )


class Resampler:
    """`resample` for a signal that arrives in pieces: feed them in order, get its samples as they are settled.

    Blocks of whole resampling periods are resampled as soon as the input holds them plus
    the filter's context, on a grid fixed from the first sample, so however the signal is
    cut into pieces the output is the same, sample for sample, and memory holds one block.
    """

    def __init__(self, orig_freq: int, new_freq: int) -> None:
        _check_rates(orig_freq, new_freq)
        gcd = math.gcd(orig_freq, new_freq)
        self.identity = orig_freq == new_freq
        self.o, self.n = orig_freq // gcd, new_freq // gcd
        self.step = max(1, BLOCK_SAMPLES // self.o)  # periods per block
        self.context = math.ceil(LOWPASS_WIDTH / (ROLLOFF * min(self.o, self.n))) + 1
        self._buffer: torch.Tensor | None = None  # input from sample `_offset` on
        self._offset = 0
        self._received = 0
        self._first = 0  # the next block's first period

    def process(self, piece: torch.Tensor) -> Iterator[torch.Tensor]:
        """The output samples `piece` settles (none, one block or several)."""
        if self.identity:
            yield piece
            return
        self._buffer = piece if self._buffer is None else torch.cat([self._buffer, piece], dim=-1)
        self._received += piece.shape[-1]
        while (self._first + self.step + self.context) * self.o <= self._received:
            yield self._block(self._first + self.step, (self._first + self.step + self.context) * self.o, None)

    def finish(self) -> Iterator[torch.Tensor]:
        """The rest, once the last piece is in."""
        if self.identity or self._buffer is None:
            return
        periods = self._received // self.o + 1
        total = math.ceil(self.n * self._received / self.o)
        while self._first < periods:
            stop = min(self._first + self.step, periods)
            yield self._block(stop, min(self._received, (stop + self.context) * self.o), total)

    def _block(self, stop: int, end: int, total: int | None) -> torch.Tensor:
        """Periods [`_first`, `stop`) from input [.., `end`); then forget input no later block reads."""
        first, o, n = self._first, self.o, self.n
        start = max(0, first - self.context)
        out = _resample_once(self._buffer[..., start * o - self._offset : end - self._offset], o, n)
        piece = out[..., (first - start) * n : (stop - start) * n]
        if total is not None:
            piece = piece[..., : max(0, total - first * n)]
        self._first = stop
        keep_from = max(0, stop - self.context) * o
        self._buffer = self._buffer[..., keep_from - self._offset :]
        self._offset = keep_from
        return piece


def resampled(pieces: Iterable[torch.Tensor], orig_freq: int, new_freq: int) -> Iterator[torch.Tensor]:
    """A signal arriving in pieces, resampled as it arrives (see `Resampler`)."""
    resampler = Resampler(orig_freq, new_freq)
    for piece in pieces:
        yield from resampler.process(piece)
    yield from resampler.finish()


def resample(wav: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    """Resample the last dimension; a Kaiser-windowed sinc keeps aliasing below -80 dB or so.

    The filter works in periods of `orig / gcd` input samples, each giving `new / gcd`
    output samples from the input within `LOWPASS_WIDTH / (rolloff * min(orig, new) / gcd)`
    periods of it; blocks of periods with that much context either side (see `Resampler`)
    reproduce the one-pass result in bounded working memory.
    """
    _check_rates(orig_freq, new_freq)
    if orig_freq == new_freq:
        return wav
    resampler = Resampler(orig_freq, new_freq)
    total = math.ceil(resampler.n * wav.shape[-1] / resampler.o)
    result = wav.new_empty((*wav.shape[:-1], total))  # filled in place: no second copy from concatenating
    done = 0
    for piece in itertools.chain(resampler.process(wav), resampler.finish()):
        result[..., done : done + piece.shape[-1]] = piece
        done += piece.shape[-1]
    return result
