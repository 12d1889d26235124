"""Vocoding long mels in bounded memory: fixed-size chunks, each with context that is cut away.

A vocoder whose output at a frame depends only on nearby frames (a generator's receptive
field; Griffin-Lim's phase estimate, which spreads a few frames per iteration) gives the
same samples in a chunk's middle as in one pass over the whole mel, so the kept middles
join without a seam while memory stays that of one chunk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import NamedTuple

import torch

from distill.vocoders.types import Progress, ProgressCallback

RENDER_TASK = "render"


class Chunk(NamedTuple):
    """Frames [start, stop) are kept; [lo, hi) is what gets vocoded (the chunk plus its context)."""

    start: int
    stop: int
    lo: int
    hi: int


def context_chunks(frames: int, chunk_frames: int, context_frames: int) -> Iterator[Chunk]:
    """The chunks of a `frames`-long mel, in order (for vocoders that keep state from one to the next)."""
    for start in range(0, frames, chunk_frames):
        stop = min(frames, start + chunk_frames)
        yield Chunk(start, stop, max(0, start - context_frames), min(frames, stop + context_frames))


def vocode_with_context(
    vocode: Callable[[torch.Tensor], torch.Tensor],
    mel: torch.Tensor,
    hop_length: int,
    chunk_frames: int,
    context_frames: int,
    progress: ProgressCallback | None = None,
) -> torch.Tensor:
    """`vocode`: `[B, n_mels, f] -> [B, f * hop_length]` -> the same for the whole `mel`.

    A `vocode` whose output runs a little short (an inverse STFT's last hop) leaves the
    result short by as much at the very end; callers fit the length. `progress`, if given,
    hears `Progress("render", frames done, frames)` after each chunk.
    """
    frames = mel.shape[-1]
    pieces = []
    for chunk in context_chunks(frames, chunk_frames, context_frames):
        audio = vocode(mel[..., chunk.lo : chunk.hi])
        pieces.append(audio[..., (chunk.start - chunk.lo) * hop_length : (chunk.stop - chunk.lo) * hop_length])
        if progress is not None:
            progress(Progress(RENDER_TASK, chunk.stop, frames, "frames"))
    return torch.cat(pieces, dim=-1)
