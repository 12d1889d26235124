"""Training: presets, a saved model with sliders, and Ctrl-C + resume continuing exactly."""

from __future__ import annotations

import pytest
import torch

from distill.errors import DistillError
from distill.models.format import load_model
from distill.training.presets import choose_preset
from distill.training.runner import TrainingCancelled, train_model
from distill.vocoders.types import Progress

from .conftest import TINY_VAE


def test_auto_preset_follows_collection_size():
    assert choose_preset("auto", 10).name == "small"
    assert choose_preset("auto", 120).name == "medium"
    assert choose_preset("auto", 400).name == "large"
    assert choose_preset("auto", 10, epochs=3).epochs == 3
    with pytest.raises(DistillError, match="Unknown training preset 'huge'"):
        choose_preset("huge", 10)


def test_trained_model_is_saved_with_sliders_and_dataset(tiny_model_path):
    model = load_model(tiny_model_path)
    sliders = model.latent_analysis["sliders"]
    assert 4 <= len(sliders) <= 8
    ratios = [s["explained_variance"] for s in sliders]
    assert ratios == sorted(ratios, reverse=True)
    assert all(s["minimum"] < 0 < s["maximum"] and s["name"] for s in sliders)
    dataset = model.metadata["dataset"]
    assert dataset["num_files"] == 8 and len(dataset["files"]) == 8
    assert model.metadata["val_loss"] is not None


def test_existing_name_is_refused_without_force(collection_dir, tiny_model_path, monkeypatch):
    monkeypatch.setenv("DISTILL_HOME", str(tiny_model_path.parent.parent))
    with pytest.raises(DistillError, match="already exists"):
        train_model(collection_dir, "tiny", epochs=1, vae_config=TINY_VAE)


def test_interrupted_training_resumes_to_the_same_weights(collection_dir):
    straight = train_model(collection_dir, "straight", epochs=4, vae_config=TINY_VAE)

    def interrupt_in_epoch_three(event: Progress) -> None:
        if event.completed > 2 and not event.metrics:
            raise KeyboardInterrupt

    with pytest.raises(TrainingCancelled, match="--resume"):
        train_model(collection_dir, "resumed", epochs=4, vae_config=TINY_VAE, progress=interrupt_in_epoch_three)
    resumed = train_model(collection_dir, "resumed", epochs=4, vae_config=TINY_VAE, resume=True)
    assert resumed.metadata["epochs"] == 4
    for key, value in straight.vae_state_dict.items():
        assert torch.equal(value, resumed.vae_state_dict[key]), key


def test_resume_without_checkpoint_is_one_sentence(collection_dir):
    with pytest.raises(DistillError, match="Nothing to resume"):
        train_model(collection_dir, "fresh", epochs=1, vae_config=TINY_VAE, resume=True)


def test_stop_button_stops_like_ctrl_c_and_resume_reaches_the_same_weights(collection_dir):
    straight = train_model(collection_dir, "straight-stop", epochs=3, vae_config=TINY_VAE)
    finished_epochs = []

    def record(event: Progress) -> None:
        if event.metrics:
            finished_epochs.append(event.completed)

    with pytest.raises(TrainingCancelled, match="checkpoint is kept"):
        train_model(
            collection_dir,
            "stopped",
            epochs=3,
            vae_config=TINY_VAE,
            progress=record,
            should_stop=lambda: len(finished_epochs) >= 2,
        )
    assert finished_epochs == [1, 2]
    resumed = train_model(collection_dir, "stopped", epochs=3, vae_config=TINY_VAE, resume=True)
    for key, value in straight.vae_state_dict.items():
        assert torch.equal(value, resumed.vae_state_dict[key]), key


def test_stop_before_the_first_epoch_says_there_is_nothing_to_resume(collection_dir):
    with pytest.raises(TrainingCancelled, match="nothing to resume"):
        train_model(collection_dir, "early", epochs=2, vae_config=TINY_VAE, should_stop=lambda: True)
