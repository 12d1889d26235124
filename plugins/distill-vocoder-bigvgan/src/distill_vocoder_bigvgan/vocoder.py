"""BigVGAN as a Distill vocoder: adapt the mel, vocode in overlapping chunks, resample to the model's rate."""

from __future__ import annotations

import torch

from distill.vocoders import GeneratorVocoder, fit_length, resample
from distill_vocoder_bigvgan.adapter import TARGET_RATE, adapt_mel
from distill_vocoder_bigvgan.generator import BigVGANGenerator

CHUNK_FRAMES = 256  # ~3 s of 44.1 kHz audio per generator call: bounded memory for any length
CROSSFADE_FRAMES = 8


def vocode_in_chunks(
    generator: BigVGANGenerator, mel: torch.Tensor, chunk: int = CHUNK_FRAMES, crossfade: int = CROSSFADE_FRAMES
) -> torch.Tensor:
    """BigVGAN log-mel `[B, 128, frames] -> [B, frames * hop]`, in bounded memory.

    Each chunk is vocoded with `context` extra frames on both sides (at least the
    generator's receptive field), the context is cut away, and neighbouring chunks are
    crossfaded over `crossfade` frames inside the overlap, so the result matches a
    whole-input pass to within float error. The mel is cast to the generator's precision
    (see `plugin.PRECISION_SWITCH`); the audio is float32 whatever it is.
    """
    hop = generator.config.hop
    frames = mel.shape[-1]
    dtype = next(generator.parameters()).dtype
    mel = mel.to(dtype)
    if frames <= chunk + 2 * crossfade:
        return generator(mel)[:, 0].float()
    context = generator.receptive_field_frames() + crossfade
    out = mel.new_zeros(mel.shape[0], frames * hop, dtype=torch.float32)
    weight = out.new_zeros(frames * hop)
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
        out[:, keep_lo * hop : keep_hi * hop] += piece * window
        weight[keep_lo * hop : keep_hi * hop] += window
    return out / weight.clamp_min(1e-8)


class BigVGANVocoder(GeneratorVocoder):
    """Universal: works for any model's mel through the adapter."""

    name = "bigvgan"

    @torch.inference_mode()
    def mel_to_waveform(self, mel: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]` at the model's rate."""
        adapted = adapt_mel(mel.to(self.device).float(), self.config)
        audio = vocode_in_chunks(self.generator, adapted)
        audio = resample(audio, TARGET_RATE, self.sample_rate)
        length = num_samples if num_samples is not None else mel.shape[-1] * self.config.hop_length
        return fit_length(audio.float(), length)
