"""HiFi-GAN objectives: least-squares GAN, feature matching (x2), log-mel L1 (x45) and, in the
fast recipe, a multi-resolution STFT log-magnitude L1 beside the mel L1."""

from __future__ import annotations

import torch

from distill.vocoders import STFT_WINDOWS, SpectrogramConfig, multires_stft_log_distance, waveform_to_mel
from distill_vocoder_hifigan.generator import log_magnitude_mel

MEL_WEIGHT = 45.0
CONVERGENCE_WINDOWS = (1024, 2048, 4096)  # long enough to resolve a kick's sub-bass, where most of its energy is
FEATURE_WEIGHT = 2.0


def discriminator_loss(real: list[torch.Tensor], fake: list[torch.Tensor]) -> torch.Tensor:
    """Push real scores to 1 and generated ones to 0."""
    return sum(((1 - r) ** 2).mean() + (f**2).mean() for r, f in zip(real, fake, strict=True))


def adversarial_loss(fake: list[torch.Tensor]) -> torch.Tensor:
    """The generator wants its scores at 1."""
    return sum(((1 - f) ** 2).mean() for f in fake)


def feature_matching_loss(real: list[list[torch.Tensor]], fake: list[list[torch.Tensor]]) -> torch.Tensor:
    """L1 between discriminator activations of real and generated audio."""
    return sum(
        (r.detach() - f).abs().mean()
        for real_maps, fake_maps in zip(real, fake, strict=True)
        for r, f in zip(real_maps, fake_maps, strict=True)
    )


def mel_loss(real: torch.Tensor, fake: torch.Tensor, config: SpectrogramConfig) -> torch.Tensor:
    """L1 between log-magnitude mels (the model's filterbank) of real and generated `[B, T]` audio."""
    real_mel, fake_mel = (log_magnitude_mel(waveform_to_mel(x, config)) for x in (real, fake))
    return (real_mel - fake_mel).abs().mean()


def spectral_convergence(real: torch.Tensor, fake: torch.Tensor, windows: tuple[int, ...]) -> torch.Tensor:
    """Mean over resolutions of ||S_real - S_fake|| / ||S_real|| on linear STFT magnitudes, `[B, T]` each.

    The log-magnitude losses weigh every bin alike, and most bins of a drum hit are its quiet
    tail: a generator can lower them by rendering the attack 10 dB too quiet. Linear
    magnitudes weigh the loud bins, so this term holds the attack's level (Arik et al. 2019).
    """
    total = real.new_zeros(())
    for window in windows:
        spec = [
            torch.stft(x, window, window // 4, window=torch.hann_window(window, device=x.device), return_complex=True)
            .abs()
            .flatten(1)
            for x in (real, fake)
        ]
        total = total + ((spec[0] - spec[1]).norm(dim=1) / spec[0].norm(dim=1).clamp_min(1e-7)).mean()
    return total / len(windows)


def reconstruction_losses(
    real: torch.Tensor, fake: torch.Tensor, config: SpectrogramConfig, stft_weight: float, convergence_weight: float
) -> dict[str, tuple[torch.Tensor, float]]:
    """Name -> (loss, weight): the mel L1, and beside it when weighted the multi-resolution STFT
    log-magnitude L1 (windows 128-2048: attacks and the silence around them, which a 2048-point
    mel frame blurs), the very distance the held-out verdict measures, and the spectral
    convergence that holds the loud parts' level."""
    losses = {"mel": (mel_loss(real, fake, config), 1.0)}
    windows = tuple(w for w in STFT_WINDOWS if w <= real.shape[-1]) or STFT_WINDOWS[:1]
    if stft_weight:
        losses["stft"] = (multires_stft_log_distance(real, fake, windows), stft_weight)
    if convergence_weight:
        long = tuple(w for w in CONVERGENCE_WINDOWS if w <= real.shape[-1]) or windows[-1:]
        losses["convergence"] = (spectral_convergence(real, fake, long), convergence_weight)
    return losses
