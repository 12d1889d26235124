"""Mel -> linear magnitude -> phase by gradient heap integration -> a few fast Griffin-Lim steps -> audio.

Long renders go chunk by chunk (memory stays that of one chunk). Phase integration is
continuous across chunks: each chunk's integration starts from the phase already decided
for the frames before it, which this vocoder keeps between chunks; the Griffin-Lim steps
then only polish locally, so with enough context the kept middles join without a seam.
"""

from __future__ import annotations

import numpy as np
import torch

from distill.vocoders import (
    Progress,
    ProgressCallback,
    SpectrogramConfig,
    Vocoder,
    context_chunks,
    fit_length,
    mel_to_linear_power,
    pad_short_mel,
)
from distill_vocoder_pghi.pghi import Grid, integrate_phase

CHUNK_FRAMES = 512  # about 5.5 s at 48 kHz / hop 512 per heap integration
CONTEXT_FRAMES = 32  # Griffin-Lim context either side; its steps spread phase a few frames each
SEED_FRAMES = 1  # integration continues from the last frame of phase already decided
MOMENTUM = 0.99


class PhaseTrack:
    """Phase of consecutive frame ranges `[lo, hi)` of one render, each decided once.

    A range may overlap what was decided before (the context of the previous chunk); those
    frames keep their phase and integration continues from them.
    """

    def __init__(self, grid: Grid, batch: int, tols: tuple[float, ...]) -> None:
        self.grid, self.tols = grid, tols
        self.decided = [np.zeros((grid.bins, 0)) for _ in range(batch)]  # frames [first, end)
        self.first = self.end = 0

    def extend(self, magnitude: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """`[B, bins, hi - lo]` magnitude -> `[B, bins, hi - lo]` phase; `lo` must not go backwards."""
        reuse = max(0, self.end - lo)
        seed = max(0, reuse - SEED_FRAMES) if reuse else 0
        phases = []
        for b, magnitude_b in enumerate(magnitude):
            before = self.decided[b][:, lo - self.first :][:, :reuse]
            fresh = integrate_phase(magnitude_b[:, seed:], self.grid, before[:, seed:], self.tols, seed=hi)
            phases.append(np.concatenate([before[:, :seed], fresh], axis=1))
            self.decided[b] = phases[-1]
        self.first, self.end = lo, hi
        return np.stack(phases)


class PGHIVocoder(Vocoder):
    """No weights, no training: phase from the magnitude's own gradient, then `iterations` of fast Griffin-Lim."""

    name = "pghi"

    def __init__(self, config: SpectrogramConfig, iterations: int = 16, tols: tuple[float, ...] = (1e-1, 1e-4)) -> None:
        self.config = config
        self.sample_rate = config.sample_rate
        self.iterations, self.tols = iterations, tols
        self.grid = Grid(config.hop_length, config.n_fft, config.n_fft)
        self.device = torch.device("cpu")

    @torch.inference_mode()
    def mel_to_waveform(
        self, mel: torch.Tensor, num_samples: int | None = None, progress: ProgressCallback | None = None
    ) -> torch.Tensor:
        """`[B, n_mels, frames] -> [B, samples]` float32, chunk by chunk (each reported to `progress`)."""
        hop = self.config.hop_length
        wanted = num_samples if num_samples is not None else mel.shape[-1] * hop
        mel = pad_short_mel(mel.to(self.device, torch.float32), self.config)
        frames = mel.shape[-1]
        track = PhaseTrack(self.grid, mel.shape[0], self.tols)
        pieces = []
        for chunk in context_chunks(frames, CHUNK_FRAMES, CONTEXT_FRAMES):
            magnitude = mel_to_linear_power(mel[..., chunk.lo : chunk.hi], self.config).sqrt()
            phase = track.extend(magnitude.double().cpu().numpy(), chunk.lo, chunk.hi)
            audio = self._polish(magnitude, torch.from_numpy(phase).to(self.device, torch.float32))
            pieces.append(audio[..., (chunk.start - chunk.lo) * hop : (chunk.stop - chunk.lo) * hop])
            if progress is not None:
                progress(Progress("render", chunk.stop, frames, "frames"))
        audio = torch.cat(pieces, dim=-1)
        return fit_length(audio.float(), wanted)

    def _polish(self, magnitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """Fast Griffin-Lim (Perraudin et al. 2013) from the integrated phase: `[B, bins, f] -> [B, (f - 1) * hop]`."""
        window = torch.hann_window(self.config.n_fft, device=self.device)
        stft = {"n_fft": self.config.n_fft, "hop_length": self.config.hop_length, "window": window, "center": True}
        spectrum = torch.polar(magnitude, phase)
        previous = spectrum
        for _ in range(self.iterations):
            rebuilt = torch.stft(torch.istft(spectrum, **stft), return_complex=True, **stft)
            projected = magnitude * rebuilt / rebuilt.abs().clamp_min(1e-12)
            spectrum = projected + MOMENTUM * (projected - previous)
            previous = projected
        return torch.istft(torch.polar(magnitude, spectrum.angle()), **stft)
