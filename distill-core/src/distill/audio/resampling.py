"""Band-limited resampling (torchaudio's windowed-sinc resampler), in bounded memory.

torchaudio resamples by one strided convolution over the whole signal, whose working
memory is several times the signal's: an hour at 44.1 kHz needs about 4 GB. Signals are
therefore resampled in blocks of whole resampling periods, each read with enough context
on both sides for the filter, which gives the same samples as one pass; `Resampler` does
it for a signal that arrives in pieces (a render streamed to disk).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator

import torch
import torchaudio.functional as AF

LOWPASS_WIDTH = 64
ROLLOFF = 0.9475937167399596
BETA = 14.769656459379492
BLOCK_SAMPLES = 1 << 20  # input samples per block for long signals


def _resample_once(wav: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
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
