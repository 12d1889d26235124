"""The VAE keeps the shapes its docstrings promise, decodes to valid log1p mels, and round-trips its config."""

from __future__ import annotations

import pytest
import torch

from distill.models.vae import VAE, VAEConfig

CONFIG = VAEConfig(n_mels=32, segment_frames=16, latent_dim=6, channels=(4, 8))


def test_encode_and_decode_shapes():
    vae = VAE(CONFIG).eval()
    mel = torch.rand(3, 32, 16)
    mu, logvar = vae.encode(mel)
    assert mu.shape == logvar.shape == (3, 6)
    assert vae.decode(mu).shape == (3, 32, 16)


def test_decoded_mels_are_non_negative_like_log1p_mels():
    vae = VAE(CONFIG).eval()
    decoded = vae.decode(10 * torch.randn(64, 6, generator=torch.Generator().manual_seed(0)))
    assert torch.isfinite(decoded).all() and (decoded >= 0).all()


def test_posterior_is_sampled_only_while_training():
    vae = VAE(CONFIG)
    mel = torch.rand(2, 32, 16)
    vae.eval()
    assert torch.equal(vae(mel)[0], vae(mel)[0])
    vae.train()
    assert not torch.equal(vae(mel)[0], vae(mel)[0])


def test_config_round_trips_and_ignores_unknown_keys():
    data = {**CONFIG.to_dict(), "from_a_newer_release": True}
    assert VAEConfig.from_dict(data) == CONFIG


def test_sizes_the_encoder_cannot_halve_are_refused():
    with pytest.raises(ValueError, match="divisible by 4"):
        VAEConfig(n_mels=30, segment_frames=16, channels=(4, 8))
