"""Band-limited resampling (torchaudio's windowed-sinc resampler), in bounded memory.

torchaudio resamples by one strided convolution over the whole signal, whose working
memory is several times the signal's: an hour at 44.1 kHz needs about 4 GB. Long signals
are therefore resampled in blocks of whole resampling periods, each read with enough
context on both sides for the filter, which gives the same samples as one pass.
"""

from __future__ import annotations

import math

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


def resample(wav: torch.Tensor, orig_freq: int, new_freq: int) -> torch.Tensor:
    """Resample the last dimension; a Kaiser-windowed sinc keeps aliasing below -80 dB or so.

    The filter works in periods of `orig / gcd` input samples, each giving `new / gcd`
    output samples from the input within `LOWPASS_WIDTH / (rolloff * min(orig, new) / gcd)`
    periods of it; a block of periods with that much context either side therefore
    reproduces its part of the one-pass result.
    """
    if orig_freq == new_freq:
        return wav
    gcd = math.gcd(orig_freq, new_freq)
    o, n = orig_freq // gcd, new_freq // gcd
    length = wav.shape[-1]
    step = max(1, BLOCK_SAMPLES // o)  # periods per block
    periods = length // o + 1
    if periods <= 2 * step:
        return _resample_once(wav, o, n)
    context = math.ceil(LOWPASS_WIDTH / (ROLLOFF * min(o, n))) + 1
    total = math.ceil(n * length / o)
    result = wav.new_empty((*wav.shape[:-1], total))  # filled in place: no second copy from concatenating
    for first in range(0, periods, step):
        stop = min(first + step, periods)
        start = max(0, first - context)
        out = _resample_once(wav[..., start * o : min(length, (stop + context) * o)], o, n)
        piece = out[..., (first - start) * n : (stop - start) * n][..., : max(0, total - first * n)]
        result[..., first * n : first * n + piece.shape[-1]] = piece
    return result
