"""BigVGAN as a Distill vocoder: adapt the mel, vocode in overlapping chunks, resample to the model's rate."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from distill.vocoders import GeneratorVocoder, fit_pieces, resampled
from distill_vocoder_bigvgan.adapter import TARGET_RATE, adapt_mel
from distill_vocoder_bigvgan.generator import BigVGANGenerator

CHUNK_FRAMES = 256  # ~3 s of 44.1 kHz audio per generator call: bounded memory for any length
CROSSFADE_FRAMES = 8


def stream_in_chunks(
    generator: BigVGANGenerator, mel: torch.Tensor, chunk: int = CHUNK_FRAMES, crossfade: int = CROSSFADE_FRAMES
) -> Iterator[torch.Tensor]:
    """BigVGAN log-mel `[B, 128, frames]` -> `[B, n]` pieces of its audio, in bounded memory.

    Each chunk is vocoded with `context` extra frames on both sides (at least the
    generator's receptive field), the context is cut away, and neighbouring chunks are
    crossfaded over `crossfade` frames inside the overlap, so the result matches a
    whole-input pass to within float error. Audio is yielded as soon as no later chunk
    overlaps it. The mel is cast to the generator's precision (see
    `plugin.PRECISION_SWITCH`); the audio is float32 whatever it is.
    """
    hop = generator.config.hop
    frames = mel.shape[-1]
    mel = mel.to(next(generator.parameters()).dtype)
    if frames <= chunk + 2 * crossfade:
        yield generator(mel)[:, 0].float()
        return
    context = generator.receptive_field_frames() + crossfade
    held = mel.new_zeros(mel.shape[0], 0, dtype=torch.float32)  # audio from sample `held_from` on, not final yet
    weight = held.new_zeros(0)
    held_from = 0
    ramp = torch.linspace(0, 1, crossfade * hop + 2, device=mel.device)[1:-1]
    for start in range(0, frames, chunk):
        stop = min(frames, start + chunk)
        lo, hi = max(0, start - context), min(frames, stop + context)
        audio = generator(mel[..., lo:hi])[:, 0].float()
        keep_lo = max(0, start - crossfade // 2)
        keep_hi = min(frames, stop + crossfade // 2)
        piece = audio[:, (keep_lo - lo) * hop : (keep_hi - lo) * hop]
        window = torch.ones(piece.shape[-1], device=mel.device)
        if keep_lo > 0:
            window[: ramp.numel()] = ramp
        if keep_hi < frames:
            window[-ramp.numel() :] = ramp.flip(0)
        grow = keep_hi * hop - held_from - held.shape[-1]
        held = torch.cat([held, held.new_zeros(held.shape[0], grow)], dim=-1)
        weight = torch.cat([weight, weight.new_zeros(grow)])
        offset = keep_lo * hop - held_from
        held[:, offset : offset + piece.shape[-1]] += piece * window
        weight[offset : offset + piece.shape[-1]] += window
        settled = (stop - crossfade // 2 if stop < frames else keep_hi) * hop - held_from  # where the next chunk starts
        yield held[:, :settled] / weight[:settled].clamp_min(1e-8)
        held, weight, held_from = held[:, settled:], weight[settled:], held_from + settled


def vocode_in_chunks(
    generator: BigVGANGenerator, mel: torch.Tensor, chunk: int = CHUNK_FRAMES, crossfade: int = CROSSFADE_FRAMES
) -> torch.Tensor:
    """BigVGAN log-mel `[B, 128, frames] -> [B, frames * hop]`: the whole of `stream_in_chunks`."""
    return torch.cat(list(stream_in_chunks(generator, mel, chunk, crossfade)), dim=-1)


class BigVGANVocoder(GeneratorVocoder):
    """Universal: works for any model's mel through the adapter."""

    name = "bigvgan"

    def mel_to_waveform(self, mel: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]` at the model's rate."""
        return torch.cat(list(self.stream_waveform(mel, num_samples)), dim=-1)

    @torch.inference_mode()
    def stream_waveform(self, mel: torch.Tensor, num_samples: int | None = None) -> Iterator[torch.Tensor]:
        """The same samples, a chunk at a time, resampled to the model's rate as they come."""
        adapted = adapt_mel(mel.to(self.device).float(), self.config)
        pieces = resampled(stream_in_chunks(self.generator, adapted), TARGET_RATE, self.sample_rate)
        length = num_samples if num_samples is not None else mel.shape[-1] * self.config.hop_length
        yield from fit_pieces((piece.float() for piece in pieces), length)
