"""A recording as the model renders it: encoded, then decoded. The generation path of a real sound.

What separates a reconstruction from the recording's own mel is what the decoder loses
on the way to every generated sound; the benchmarks measure it, and a model's own
vocoder learns from it (its training pairs are a recording and the model's rendering of it).
"""

from __future__ import annotations

import torch

from distill.data.joining import chunk_count, overlap_add
from distill.data.segmenting import ONE_SHOT, generation_mode, texture_hop
from distill.models.format import DistillModel
from distill.models.vae import build_vae

DECODE_BATCH = 16  # segments (or latents, when generating) decoded at once


@torch.inference_mode()
def reconstruct_mel(
    model: DistillModel, mel: torch.Tensor, device: torch.device | str = "cpu", mode: str | None = None
) -> torch.Tensor:
    """A recording's log1p mel `[n_mels, frames]` through `model`'s VAE (posterior means), same shape.

    Cut and joined as generation cuts and joins: a one-shot model renders the first
    segment (frames beyond it are dropped), a texture model segments `texture_hop` apart,
    crossfaded.
    """
    vae = build_vae(model, device)
    length, frames = vae.config.segment_frames, mel.shape[-1]
    if (mode or generation_mode(model)) == ONE_SHOT:
        segment = torch.nn.functional.pad(mel[:, :length], (0, max(0, length - frames)))
        return vae.decode(vae.encode(segment[None].to(device))[0])[0, :, : min(frames, length)]
    hop = texture_hop(length)
    count = chunk_count(frames, length, hop)
    padded = torch.nn.functional.pad(mel, (0, (count - 1) * hop + length - frames)).to(device)
    segments = torch.stack([padded[:, k * hop : k * hop + length] for k in range(count)])
    decoded = torch.cat([vae.decode(vae.encode(batch)[0]) for batch in segments.split(DECODE_BATCH)])
    return overlap_add(decoded, hop, frames)
