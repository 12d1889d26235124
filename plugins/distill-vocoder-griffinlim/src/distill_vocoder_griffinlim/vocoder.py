"""Mel -> linear magnitude (NNLS inverse of the model's filterbank) -> momentum Griffin-Lim."""

from __future__ import annotations

import torch
import torchaudio

from distill.vocoders import SpectrogramConfig, Vocoder, fit_length, mel_to_linear_power


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

    @torch.inference_mode()
    def mel_to_waveform(self, mel: torch.Tensor, num_samples: int | None = None) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]`."""
        mel = mel.to(self.device)
        magnitude = mel_to_linear_power(mel, self.config).sqrt()
        length = num_samples if num_samples is not None else mel.shape[-1] * self.config.hop_length
        return fit_length(self._griffinlim(magnitude).float(), length)
