"""Mel -> linear magnitude (NNLS inverse of the model's filterbank) -> momentum Griffin-Lim."""

from __future__ import annotations

from collections.abc import Iterator

import torch
import torchaudio

from distill.vocoders import (
    ProgressCallback,
    SpectrogramConfig,
    Vocoder,
    fit_pieces,
    mel_to_linear_power,
    pad_short_mel,
    stream_with_context,
)

# Griffin-Lim's phase estimate spreads only a few frames per iteration: with 128 frames of
# context, chunks match one pass over the whole mel (relative error < 1e-3 at the joints on
# real music), and a 10-minute render needs the memory of 22 s.
CHUNK_FRAMES = 2048
CONTEXT_FRAMES = 128


class GriffinLimVocoder(Vocoder):
    """Phase from magnitude alone: needs no weights, so it can never be unavailable."""

    name = "griffinlim"

    def __init__(self, config: SpectrogramConfig, n_iter: int = 64, momentum: float = 0.99) -> None:
        self.config = config
        self.sample_rate = config.sample_rate
        self.device = torch.device("cpu")
        self._griffinlim = torchaudio.transforms.GriffinLim(
            n_fft=config.n_fft,
            hop_length=config.hop_length,
            power=1.0,
            n_iter=n_iter,
            momentum=momentum,
            rand_init=False,
        )

    def to(self, device: torch.device | str) -> GriffinLimVocoder:
        self.device = torch.device(device)
        self._griffinlim = self._griffinlim.to(self.device)
        return self

    def mel_to_waveform(
        self, mel: torch.Tensor, num_samples: int | None = None, progress: ProgressCallback | None = None
    ) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]`, in chunks for long inputs (each reported to `progress`)."""
        return torch.cat(list(self.stream_waveform(mel, num_samples, progress)), dim=-1)

    @torch.inference_mode()
    def stream_waveform(
        self, mel: torch.Tensor, num_samples: int | None = None, progress: ProgressCallback | None = None
    ) -> Iterator[torch.Tensor]:
        """The same samples, one chunk at a time."""
        hop, frames = self.config.hop_length, mel.shape[-1]
        mel = pad_short_mel(mel.to(self.device), self.config)
        pieces = stream_with_context(self._vocode, mel, hop, CHUNK_FRAMES, CONTEXT_FRAMES, progress)
        length = num_samples if num_samples is not None else frames * hop
        yield from fit_pieces((piece.float() for piece in pieces), length)

    def _vocode(self, mel: torch.Tensor) -> torch.Tensor:
        return self._griffinlim(mel_to_linear_power(mel, self.config).sqrt())
