"""Ranking, fallback and explicit choice through the registry, with in-process plugins."""

from __future__ import annotations

import logging
import types

import pytest
import torch

from distill.errors import DistillError
from distill.host.registry import VocoderRegistry
from distill.host.selector import choose_vocoder, select_vocoder, vocoder_options
from distill.vocoders import Vocoder, VocoderUnavailable, hookimpl


class _Silent(Vocoder):
    def __init__(self, name: str) -> None:
        self.name = name
        self.sample_rate = 48000

    def mel_to_waveform(self, mel, num_samples=None):
        return torch.zeros(mel.shape[0], num_samples or mel.shape[-1] * 512)


def _plugin(name: str, priority: int | None, fail: Exception | None = None) -> types.SimpleNamespace:
    @hookimpl
    def vocoder_priority(model):
        return priority

    @hookimpl
    def load_vocoder(name, model, device):
        if name != plugin_name:
            return None
        if fail is not None:
            raise fail
        return _Silent(plugin_name)

    plugin_name = name
    return types.SimpleNamespace(vocoder_priority=vocoder_priority, load_vocoder=load_vocoder)


def _registry(*plugins: tuple[str, types.SimpleNamespace]) -> VocoderRegistry:
    registry = VocoderRegistry(eps=[])
    for name, plugin in plugins:
        registry.register(plugin, name, distribution=f"dist-{name}", version="1.0")
    return registry


def test_auto_picks_the_highest_priority():
    registry = _registry(
        ("low", _plugin("low", 100)), ("high", _plugin("high", 200)), ("never", _plugin("never", None))
    )
    assert select_vocoder("auto", None, torch.device("cpu"), registry).name == "high"


def test_auto_falls_back_with_a_warning_naming_plugin_and_reason(caplog):
    registry = _registry(
        ("low", _plugin("low", 100)),
        ("high", _plugin("high", 200, VocoderUnavailable("weights are not downloaded."))),
    )
    with caplog.at_level(logging.WARNING, logger="distill"):
        vocoder = select_vocoder("auto", None, torch.device("cpu"), registry)
    assert vocoder.name == "low"
    assert "'high'" in caplog.text and "weights are not downloaded" in caplog.text and "'low'" in caplog.text


def test_unexpected_load_error_also_falls_back(caplog):
    registry = _registry(("low", _plugin("low", 100)), ("high", _plugin("high", 200, RuntimeError("boom"))))
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", None, torch.device("cpu"), registry).name == "low"
    assert "RuntimeError: boom" in caplog.text


def test_explicit_choice_never_falls_back():
    registry = _registry(
        ("low", _plugin("low", 100)),
        ("high", _plugin("high", 200, VocoderUnavailable("Place the files in /x by hand."))),
    )
    with pytest.raises(VocoderUnavailable, match="Place the files in /x by hand"):
        select_vocoder("high", None, torch.device("cpu"), registry)


def test_unknown_name_lists_the_usable_ones():
    registry = _registry(("low", _plugin("low", 100)))
    with pytest.raises(DistillError, match=r"Unknown vocoder 'nope'; usable vocoders: auto, low\."):
        select_vocoder("nope", None, torch.device("cpu"), registry)


def test_priority_hook_that_raises_marks_only_that_plugin_broken(caplog):
    @hookimpl
    def vocoder_priority(model):
        raise ValueError("bad config")

    broken = types.SimpleNamespace(vocoder_priority=vocoder_priority)
    registry = _registry(("low", _plugin("low", 100)), ("bad", broken))
    with caplog.at_level(logging.WARNING, logger="distill"):
        assert select_vocoder("auto", None, torch.device("cpu"), registry).name == "low"
    record = registry.record("bad")
    assert record.status == "broken" and record.error == "ValueError: bad config"
    assert "'bad'" in caplog.text


def test_no_loadable_vocoder_is_one_sentence_that_says_how_to_fix_it():
    registry = _registry(("only", _plugin("only", 100, VocoderUnavailable("no."))))
    with pytest.raises(DistillError, match="No vocoder could be loaded") as refused:
        select_vocoder("auto", None, torch.device("cpu"), registry)
    assert "`distill vocoders list` shows why" in str(refused.value)
    assert "`distill vocoders install distill-vocoder-griffinlim` brings back the one that serves every model" in str(
        refused.value
    )


def test_auto_returns_the_plugins_it_skipped_and_why():
    registry = _registry(
        ("low", _plugin("low", 100)),
        ("high", _plugin("high", 200, VocoderUnavailable("weights are not downloaded."))),
    )
    selection = choose_vocoder("auto", None, torch.device("cpu"), registry)
    assert selection.vocoder.name == "low"
    assert selection.skipped == [{"vocoder": "high", "reason": "weights are not downloaded."}]


def test_options_list_every_plugin_and_say_why_one_cannot_serve():
    registry = _registry(
        ("low", _plugin("low", 100)),
        ("own", _plugin("own", None, VocoderUnavailable("Model 'x' has no vocoder of its own."))),
        ("high", _plugin("high", 200)),
    )
    registry.register(object(), "low")  # a duplicate name is ignored, not listed twice
    options = vocoder_options(None, registry)
    assert [(o.name, o.usable) for o in options] == [("high", True), ("low", True), ("own", False)]
    assert options[2].reason == "Model 'x' has no vocoder of its own."
    assert options[0].description == "dist-high"  # no summary registered: the distribution stands in
