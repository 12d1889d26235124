"""Fixtures for core tests: a small synthetic collection and a tiny trained model."""

from __future__ import annotations

from pathlib import Path

import pytest

from distill.data.synthetic import write_demo_collection
from distill.models.vae import VAEConfig
from distill.training.runner import train_model

TINY_VAE = VAEConfig(latent_dim=8, channels=(8, 16), segment_frames=32)
TINY_EPOCHS = 300  # one step each on 8 recordings: enough for the tiny VAE to learn them


@pytest.fixture(scope="session")
def collection_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("collection")
    write_demo_collection(folder, count=8)
    return folder


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory: pytest.TempPathFactory, collection_dir: Path) -> Path:
    """A tiny model trained until it is alive (a few seconds), saved outside any test's DISTILL_HOME."""
    home = tmp_path_factory.mktemp("model-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DISTILL_HOME", str(home))
        model = train_model(collection_dir, "tiny", epochs=TINY_EPOCHS, vae_config=TINY_VAE)
    return model.path
