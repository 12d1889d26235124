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


def test_the_level_scale_resolves_what_log1p_flattens():
    """A tail 50 dB under a loud bin is ≈ 0 in log1p but several units in the level scale."""
    vae = VAE(CONFIG)
    loud, tail = torch.tensor(1e4), torch.tensor(1e-1)
    mel = torch.log1p(torch.stack([loud, tail, torch.tensor(0.0)]))
    level = vae.to_level(mel)
    assert mel[1] < 0.1 and level[1] > 4.0
    assert level[2] == 0.0
    assert torch.allclose(vae.from_level(level), mel, rtol=1e-5, atol=1e-6)


def test_a_config_stored_before_the_level_scale_keeps_log1p():
    stored = {k: v for k, v in CONFIG.to_dict().items() if k != "level_floor"}
    legacy = VAE(VAEConfig.from_dict(stored))
    mel = torch.rand(2, 32, 16)
    assert legacy.config.level_floor is None
    assert torch.equal(legacy.to_level(mel), mel)
    assert "level_centre" not in legacy.state_dict()


def test_level_statistics_centre_the_network_on_the_collection():
    vae = VAE(CONFIG).eval()
    collection = torch.log1p(1e3 * torch.rand(8, 32, 16))
    vae.fit_level_statistics(collection)
    level = vae.to_level(collection)
    assert torch.allclose(vae.level_centre[:, 0], level.mean(dim=(0, 2)))
    assert vae.level_spread == pytest.approx(float(level.std()), rel=1e-5)
