"""Vocoding long mels in bounded memory: fixed-size chunks, each with context that is cut away.

A vocoder whose output at a frame depends only on nearby frames (a generator's receptive
field; Griffin-Lim's phase estimate, which spreads a few frames per iteration) gives the
same samples in a chunk's middle as in one pass over the whole mel, so the kept middles
join without a seam while memory stays that of one chunk.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import NamedTuple

import torch

from distill.progress import Progress, ProgressCallback

RENDER_TASK = "render"
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters
_KEEP_BYTES = 1 << 30
_SETTLED_MMAP, _SETTLED_TRIM = 32 << 20, 64 << 20  # where glibc's own dynamic thresholds top out
_lock = threading.Lock()
_users = 0


@lru_cache(maxsize=1)
def _glibc() -> ctypes.CDLL | None:
    """The C library this process already uses, if it is glibc (found without `find_library`,
    which forks: copy-on-write then faults in every page the process writes afterwards)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None


@contextmanager
def freed_memory_reused() -> Iterator[None]:
    """While inside, glibc keeps freed memory for the next allocation instead of returning it.

    A vocoder allocates and frees the same large activations chunk after chunk; by default
    glibc hands them back to the kernel and every new chunk pays for fresh zeroed pages (for
    HiFi-GAN V2 on a CPU, 30-40 % of its time). On leaving, the thresholds settle where
    glibc's own adaptive ones top out, so memory above 64 MB of free heap goes back to the
    kernel (an explicit `malloc_trim` here made every later chunk loop fault its pages in
    again). Elsewhere (macOS, Windows, musl) it does nothing.
    """
    global _users
    libc = _glibc()
    if libc is None:
        yield
        return
    with _lock:
        if _users == 0:
            libc.mallopt(_M_MMAP_THRESHOLD, _KEEP_BYTES)
            libc.mallopt(_M_TRIM_THRESHOLD, _KEEP_BYTES)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                libc.mallopt(_M_MMAP_THRESHOLD, _SETTLED_MMAP)
                libc.mallopt(_M_TRIM_THRESHOLD, _SETTLED_TRIM)


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


def stream_with_context(
    vocode: Callable[[torch.Tensor], torch.Tensor],
    mel: torch.Tensor,
    hop_length: int,
    chunk_frames: int,
    context_frames: int,
    progress: ProgressCallback | None = None,
) -> Iterator[torch.Tensor]:
    """`vocode`: `[B, n_mels, f] -> [B, f * hop_length]`, run chunk by chunk over `mel`: each
    chunk's kept middle `[B, n]` as soon as it is rendered (a `Vocoder.stream_waveform`).

    A `vocode` whose output runs a little short (an inverse STFT's last hop) leaves the
    stream short by as much at the very end; callers fit the length (`fit_pieces`).
    `progress`, if given, hears `Progress("render", frames done, frames, unit="frames")` after each chunk.
    """
    frames = mel.shape[-1]
    with freed_memory_reused():
        for chunk in context_chunks(frames, chunk_frames, context_frames):
            audio = vocode(mel[..., chunk.lo : chunk.hi])
            yield audio[..., (chunk.start - chunk.lo) * hop_length : (chunk.stop - chunk.lo) * hop_length]
            if progress is not None:
                progress(Progress(RENDER_TASK, chunk.stop, frames, "Rendering", unit="frames"))


def vocode_with_context(
    vocode: Callable[[torch.Tensor], torch.Tensor],
    mel: torch.Tensor,
    hop_length: int,
    chunk_frames: int,
    context_frames: int,
    progress: ProgressCallback | None = None,
) -> torch.Tensor:
    """The whole of `stream_with_context`'s stream, `[B, n_mels, frames] -> [B, frames * hop_length]`."""
    return torch.cat(list(stream_with_context(vocode, mel, hop_length, chunk_frames, context_frames, progress)), -1)
