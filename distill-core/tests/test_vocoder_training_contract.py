"""What the host hands a training plugin: the model's own mels and a held-out judge, through the public API;
a plugin written to the older contract (no judge, recordings only) trains and is judged as before."""

from __future__ import annotations

import shutil

import pytest
import torch

from distill.audio.spectrogram import waveform_to_mel
from distill.host.recordings import model_training_audio
from distill.host.registry import VocoderRegistry
from distill.host.vocoder_training import train_model_vocoder
from distill.models.format import load_model
from distill.models.reconstruction import reconstruct_mel
from distill.vocoders import GeneratorVocoder, VocoderState, hookimpl
from distill.vocoders.verdict import GENERATION, RESYNTHESIS, curve_metric, path_verdict


class _Scaled(GeneratorVocoder):
    """A "trained" vocoder: a constant times a sine per frame; enough to render and be judged."""

    name = "learner"

    def mel_to_waveform(self, mel, num_samples=None):
        n = num_samples or mel.shape[-1] * self.config.hop_length
        level = self.generator.weight.item() * mel.mean(dim=1, keepdim=True)  # [B, 1, frames]
        envelope = torch.nn.functional.interpolate(level, size=n, mode="linear")[:, 0]
        return envelope * torch.sin(torch.arange(n) * 0.05)


class _Learner:
    """A training plugin written to the older contract (recordings only): records what the host hands it."""

    def __init__(self) -> None:
        self.seen: dict = {}

    @hookimpl
    def train_vocoder(self, name, model, dataset, config, progress):
        if name != "learner":
            return None
        self.seen["dataset"] = dataset
        return VocoderState("learner", {}, {"weight": torch.full((1, 1), 0.1)}, steps=3)

    @hookimpl
    def load_vocoder(self, name, model, device):
        if name != "learner":
            return None
        generator = torch.nn.Linear(1, 1, bias=False)
        generator.weight.data = model.vocoder_state_dict["weight"]
        return _Scaled(generator, model.spectrogram)


class _JudgedLearner(_Learner):
    """The same plugin written to today's contract: it asks the host's judge for its held-out curve."""

    @hookimpl
    def train_vocoder(self, name, model, dataset, config, progress, judge):
        if name != "learner":
            return None
        self.seen["figures"] = judge(_Scaled(torch.nn.Linear(1, 1, bias=False), model.spectrogram))
        self.seen["dataset"] = dataset
        return VocoderState("learner", {}, {"weight": torch.full((1, 1), 0.1)}, steps=3)


@pytest.fixture
def model(tiny_model_path, tmp_path):
    path = tmp_path / "tiny.distill"
    shutil.copy(tiny_model_path, path)
    return load_model(path)


def _registry(plugin: _Learner) -> VocoderRegistry:
    from distill_vocoder_griffinlim import plugin as griffinlim

    registry = VocoderRegistry(eps=[])
    registry.register(plugin, "learner", distribution="distill-vocoder-learner", version="1.0")
    registry.register(griffinlim, "griffinlim", distribution="distill-vocoder-griffinlim", version="1.0")
    return registry


def test_the_plugin_gets_the_models_own_mels_and_a_judge_of_its_held_out_curve(model, tmp_path):
    plugin = _JudgedLearner()
    dataset = model_training_audio(model)
    train_model_vocoder(model, "learner", dataset, {"run_dir": str(tmp_path / "run")}, registry=_registry(plugin))
    handed = plugin.seen["dataset"]
    assert len(handed) == len(dataset) - 1  # the held-out tenth never reaches the plugin
    wav = handed[0]
    expected = reconstruct_mel(model, waveform_to_mel(wav[None], model.spectrogram)[0])
    assert torch.allclose(handed.model_mel(0), expected, atol=1e-5)  # the generation path's own mel
    assert set(plugin.seen["figures"]) == {curve_metric("learner"), curve_metric("griffinlim")}
    assert all(value > 0 for value in plugin.seen["figures"].values())


def test_a_plugin_written_to_the_older_contract_trains_and_is_judged_on_both_paths(model, tmp_path):
    plugin = _Learner()
    trained = train_model_vocoder(
        model, "learner", model_training_audio(model), {"run_dir": str(tmp_path / "run")}, registry=_registry(plugin)
    )
    verdict = load_model(trained.path).vocoder_evaluation
    for path in (GENERATION, RESYNTHESIS):
        assert set(path_verdict(verdict, path)["results"]) == {"learner", "griffinlim"}
    assert verdict["training_steps"] == 3
