"""Vocoding long mels in bounded memory: fixed-size chunks, each with context that is cut away.

A vocoder whose output at a frame depends only on nearby frames (a generator's receptive
field; Griffin-Lim's phase estimate, which spreads a few frames per iteration) gives the
same samples in a chunk's middle as in one pass over the whole mel, so the kept middles
join without a seam while memory stays that of one chunk.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def vocode_with_context(
    vocode: Callable[[torch.Tensor], torch.Tensor],
    mel: torch.Tensor,
    hop_length: int,
    chunk_frames: int,
    context_frames: int,
) -> torch.Tensor:
    """`vocode`: `[B, n_mels, f] -> [B, f * hop_length]` -> the same for the whole `mel`.

    A `vocode` whose output runs a little short (an inverse STFT's last hop) leaves the
    result short by as much at the very end; callers fit the length.
    """
    frames = mel.shape[-1]
    pieces = []
    for start in range(0, frames, chunk_frames):
        stop = min(frames, start + chunk_frames)
        lo, hi = max(0, start - context_frames), min(frames, stop + context_frames)
        audio = vocode(mel[..., lo:hi])
        pieces.append(audio[..., (start - lo) * hop_length : (stop - lo) * hop_length])
    return torch.cat(pieces, dim=-1)
