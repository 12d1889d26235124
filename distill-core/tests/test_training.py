"""Training: presets, a saved model with sliders, and Ctrl-C + resume continuing exactly."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
import torch

from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel
from distill.data.segmenting import ONE_SHOT, TEXTURE, choose_layout
from distill.data.synthetic import write_demo_collection
from distill.errors import DistillError
from distill.host.selector import select_vocoder
from distill.inference.pipeline import generate
from distill.models.diagnostics import unhealthy_consequence
from distill.models.format import load_model
from distill.paths import data_dir
from distill.progress import Progress
from distill.training import runner
from distill.training.loop import split_held_out
from distill.training.presets import PRESETS, choose_preset
from distill.training.runner import TrainingCancelled, train_model

from .conftest import TINY_EPOCHS, TINY_VAE


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
    assert not (data_dir() / "runs").exists()  # finished runs leave no checkpoint and no empty folder


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


@pytest.fixture(scope="module")
def varied_one_shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """24 clearly different one-shots: plucks, drums, noise bursts and bells of many pitches."""
    folder = tmp_path_factory.mktemp("varied")
    write_demo_collection(folder, count=24, seed=5)
    return folder


def test_a_collection_of_different_one_shots_trains_a_live_model(varied_one_shots):
    model = train_model(varied_one_shots, "alive", epochs=300, vae_config=TINY_VAE)
    health = model.metadata["diagnostics"]
    assert health["held_out"] and not health["collapsed"]
    assert health["active_units"] >= TINY_VAE.latent_dim // 2
    assert health["recon"] <= 0.6 * min(health["mean_baseline"], health["silence_baseline"])
    assert model.metadata["layout"]["mode"] == ONE_SHOT
    vocoder = select_vocoder("griffinlim", model, torch.device("cpu"))
    sounds = [generate(model, duration=2.0, seed=seed, sliders={}, vocoder=vocoder) for seed in range(4)]
    spectra = torch.stack([waveform_to_mel(s[None], model.spectrogram)[0].mean(dim=-1) for s in sounds])
    distinct = torch.cdist(spectra, spectra)[~torch.eye(4, dtype=torch.bool)]
    assert distinct.min() > 0.1 * spectra.norm(dim=1).mean()


def test_progress_reports_whether_the_model_is_alive(collection_dir):
    seen = []
    train_model(collection_dir, "watched", epochs=2, vae_config=TINY_VAE, progress=seen.append)
    figures = [e.metrics for e in seen if e.metrics and e.message.startswith("epoch")][-1]
    assert {"active_units", "heldout_l1", "mean_segment_l1", "silence_l1"} <= figures.keys()


def test_a_collapsed_run_is_retried_and_never_replaces_a_healthy_model(collection_dir, monkeypatch):
    healthy = train_model(collection_dir, "keeper", epochs=TINY_EPOCHS, vae_config=TINY_VAE)
    assert not healthy.metadata["diagnostics"]["collapsed"]
    real_diagnose = runner.diagnose

    def always_collapsed(vae, train, val):
        return replace(real_diagnose(vae, train, val), active_units=0)

    monkeypatch.setattr(runner, "diagnose", always_collapsed)
    monkeypatch.setattr(runner, "choose_preset", lambda *a, **k: replace(PRESETS["small"], steps=2))
    with pytest.raises(DistillError, match="was not saved: the existing healthy model 'keeper' is kept"):
        train_model(collection_dir, "keeper", overwrite=True, vae_config=TINY_VAE)
    assert load_model(healthy.path).metadata["diagnostics"] == healthy.metadata["diagnostics"]
    saved = train_model(collection_dir, "new-name", vae_config=TINY_VAE)
    assert saved.metadata["diagnostics"]["collapsed"]
    assert saved.training_config["beta"] == PRESETS["small"].beta / 10  # the retry's weaker KL weight


def test_a_model_not_learned_on_held_out_recordings_is_not_told_it_will_not_sound_like_its_collection():
    """sfx: held-out words and clicks unlike any other come back worse than silence, yet the
    generated sounds cover the set as its own other half does; the warning says both."""
    not_learned = {"active_units": 32, "latent_dim": 32, "collapsed": True}
    close = {"coverage": 0.66, "collection_coverage": 0.81}
    far = {"coverage": 0.30, "collection_coverage": 0.81}
    said = unhealthy_consequence(not_learned, close)
    assert "its generated sounds resemble the collection (coverage 0.66; the collection against itself 0.81)" in said
    assert "will not sound like" not in said
    assert unhealthy_consequence(not_learned, far) == "it will not sound like your collection"
    assert unhealthy_consequence(not_learned, None) == "it will not sound like your collection"
    collapsed = {**not_learned, "active_units": 1}
    assert unhealthy_consequence(collapsed, close) == "it will not sound like your collection"
    assert unhealthy_consequence(not_learned, {"coverage": 0.66}) == "it will not sound like your collection"


def test_one_shot_collections_are_learned_one_segment_per_sound():
    config = SpectrogramConfig()
    seconds = [0.3, 0.5, 0.6, 0.8, 1.0, 1.2]
    layout = choose_layout([round(s * config.sample_rate) for s in seconds], config, texture_frames=128)
    assert layout.mode == ONE_SHOT
    frames = config.num_frames(round(1.2 * config.sample_rate))
    assert layout.segment_frames >= 0.9 * frames and layout.segment_frames % 16 == 0
    long = choose_layout([round(40 * config.sample_rate)] * 3, config, texture_frames=128)
    assert (long.mode, long.segment_frames) == (TEXTURE, 128)


def test_a_few_long_recordings_hold_out_their_ends_not_whole_files():
    owners = torch.tensor([0] * 20 + [1] * 12)
    train, val = split_held_out(owners, 0.15, seed=0)
    assert set(val.tolist()) == {17, 18, 19, 30, 31}
    assert 16 not in train.tolist() and 29 not in train.tolist()  # the boundary segments overlap both sides
    assert not set(train.tolist()) & set(val.tolist())


def test_a_diverging_run_stops_in_one_sentence_and_leaves_no_nan_checkpoint(collection_dir, monkeypatch):
    """A learning rate of 1e30 blows the weights up within a couple of epochs, like the issue's crashed run."""
    monkeypatch.setitem(PRESETS, "small", replace(PRESETS["small"], learning_rate=1e30))
    with pytest.raises(DistillError, match=r"diverged in epoch .*nothing of that epoch was saved"):
        train_model(collection_dir, "wild", epochs=6, vae_config=TINY_VAE)
    checkpoint = runner.run_dir("wild") / "checkpoint.pt"
    if checkpoint.exists():
        weights = torch.load(checkpoint, weights_only=True)["vae"]
        assert all(torch.isfinite(t).all() for t in weights.values())
    assert not runner.model_path("wild").exists()
