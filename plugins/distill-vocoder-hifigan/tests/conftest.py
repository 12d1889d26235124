"""The HiFi-GAN plugin's shared fixture: a tiny model whose metadata points at its own recordings."""

from __future__ import annotations

import pytest

from distill.data.synthetic import write_demo_collection
from distill.models.format import DistillModel, save_model
from distill.models.vae import VAE, VAEConfig
from distill.vocoders import SpectrogramConfig

SPECTROGRAM = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)


@pytest.fixture
def model(tmp_path) -> DistillModel:
    """Four synthetic recordings and a two-dimensional VAE: no real VAE is needed to train a vocoder."""
    sounds = tmp_path / "sounds"
    files = write_demo_collection(sounds, count=4)
    vae = VAEConfig(n_mels=SPECTROGRAM.n_mels, segment_frames=8, latent_dim=2, channels=(2,))
    model = DistillModel(
        name="kit",
        vae_config=vae.to_dict(),
        vae_state_dict=VAE(vae).state_dict(),
        spectrogram=SPECTROGRAM,
        metadata={"dataset": {"root": str(sounds), "files": [f.name for f in files]}},
    )
    save_model(model, tmp_path / "kit.distill")
    return model
