"""The host's output rule for what a plugin's `mel_to_waveform` returns, and what passes through."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

from distill.errors import DistillError
from distill.host.checked import RenderRestarted
from distill.host.registry import VocoderRegistry
from distill.host.selector import select_vocoder
from distill.vocoders import SpectrogramConfig, Vocoder, hookimpl
from distill.vocoders.output import LENGTH_TOLERANCE_HOPS

CONFIG = SpectrogramConfig()
MEL = torch.rand(2, CONFIG.n_mels, 10)
WANTED = 10 * CONFIG.hop_length


class Scripted(Vocoder):
    """Returns whatever `render(mel, num_samples)` gives; records what it was called with."""

    def __init__(self, name, render, sample_rate=CONFIG.sample_rate):
        self.name, self.render, self.sample_rate, self.calls = name, render, sample_rate, []

    def mel_to_waveform(self, mel, num_samples=None):
        self.calls.append(num_samples)
        return self.render(mel, num_samples)


def _registry(*vocoders: tuple[Vocoder, int]) -> VocoderRegistry:
    registry = VocoderRegistry(eps=[])
    for vocoder, priority in vocoders:

        @hookimpl
        def vocoder_priority(model, priority=priority):
            return priority

        @hookimpl
        def load_vocoder(name, vocoder=vocoder):
            return vocoder if name == vocoder.name else None

        plugin = types.SimpleNamespace(vocoder_priority=vocoder_priority, load_vocoder=load_vocoder)
        registry.register(plugin, vocoder.name)
    return registry


def _render(render, **kwargs) -> torch.Tensor:
    vocoder = Scripted("scripted", render, **kwargs)
    return select_vocoder("scripted", None, torch.device("cpu"), _registry((vocoder, 100))).mel_to_waveform(MEL)


def _noise(batch: int, samples: int) -> torch.Tensor:
    return 0.1 * torch.randn(batch, samples, generator=torch.Generator().manual_seed(0))


def test_length_within_one_hop_is_fitted_and_further_off_is_refused():
    slack = LENGTH_TOLERANCE_HOPS * CONFIG.hop_length
    assert _render(lambda mel, n: _noise(2, WANTED - slack)).shape == (2, WANTED)
    assert _render(lambda mel, n: _noise(2, WANTED + slack)).shape == (2, WANTED)
    with pytest.raises(DistillError, match=f"returned {WANTED - slack - 1} samples where {WANTED} were asked for"):
        _render(lambda mel, n: _noise(2, WANTED - slack - 1))


def test_a_channel_dimension_of_one_is_squeezed_and_other_dtypes_become_float32():
    out = _render(lambda mel, n: _noise(2, WANTED)[:, None].double())
    assert out.shape == (2, WANTED) and out.dtype == torch.float32 and out.device.type == "cpu"


def test_nested_lists_and_numpy_arrays_are_accepted():
    assert torch.equal(_render(lambda mel, n: _noise(2, WANTED).tolist()), _noise(2, WANTED))
    assert torch.equal(_render(lambda mel, n: _noise(2, WANTED).numpy().astype(np.float64)), _noise(2, WANTED))


@pytest.mark.parametrize(
    ("render", "reason"),
    [
        (lambda mel, n: (_noise(2, WANTED) * 32767).short(), "returned int16 samples, not floating-point ones"),
        (lambda mel, n: torch.zeros(2, WANTED, dtype=torch.complex64), "returned complex64 samples"),
        (lambda mel, n: None, "returned a NoneType, not audio samples"),
        (lambda mel, n: _noise(1, WANTED), r"shape \[1, 5120\]; expected \[2, samples\]"),
        (lambda mel, n: _noise(2, WANTED) / 0, "returned NaN or infinite samples"),
    ],
)
def test_garbage_is_refused_with_a_reason(render, reason):
    with pytest.raises(DistillError, match=reason):
        _render(render)


def test_a_sample_rate_that_is_not_a_positive_integer_is_the_vocoders_failure():
    with pytest.raises(DistillError, match=r"Vocoder 'scripted' declares sample_rate '48k', not a positive integer\."):
        _render(lambda mel, n: _noise(2, WANTED), sample_rate="48k")


def test_after_a_failure_auto_keeps_using_the_fallback():
    broken = Scripted("broken", lambda mel, n: _noise(2, WANTED) * float("nan"))
    good = Scripted("good", lambda mel, n: _noise(2, n or WANTED))
    vocoder = select_vocoder("auto", None, torch.device("cpu"), _registry((broken, 200), (good, 100)))
    assert vocoder.name == "broken"
    for _ in range(3):
        vocoder.mel_to_waveform(MEL)
    assert vocoder.name == "good" and len(broken.calls) == 1 and len(good.calls) == 3


def test_when_every_vocoder_fails_while_rendering_the_sentence_has_each_reason():
    first = Scripted("first", lambda mel, n: None)
    second = Scripted("second", lambda mel, n: _noise(2, 3))
    vocoder = select_vocoder("auto", None, torch.device("cpu"), _registry((first, 200), (second, 100)))
    with pytest.raises(DistillError, match=r"No vocoder could render this mel \(first: Returned a NoneType.*second:"):
        vocoder.mel_to_waveform(MEL)


def test_ctrl_c_inside_a_plugin_is_not_a_failure_but_a_cancel():
    def interrupted(mel, n):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _render(interrupted)


def test_progress_is_offered_only_to_vocoders_that_accept_it():
    seen = []

    class Reporting(Scripted):
        def mel_to_waveform(self, mel, num_samples=None, progress=None):
            seen.append(progress)
            return _noise(2, WANTED)

    def report(event):
        return None

    for vocoder in (Reporting("reporting", None), Scripted("plain", lambda mel, n: _noise(2, WANTED))):
        registry = _registry((vocoder, 100))
        select_vocoder(vocoder.name, None, torch.device("cpu"), registry, progress=report).mel_to_waveform(MEL)
    assert seen == [report]


def test_a_mel_outside_the_models_space_is_one_sentence_before_any_plugin_runs():
    vocoder = Scripted("scripted", lambda mel, n: _noise(2, WANTED))
    checked = select_vocoder("scripted", None, torch.device("cpu"), _registry((vocoder, 100)))
    with pytest.raises(
        DistillError, match=r"The mel to vocode has shape \[2, 80, 10\]; expected \[batch, 128, frames\]"
    ):
        checked.mel_to_waveform(torch.rand(2, 80, 10))
    with pytest.raises(DistillError, match="contains NaN"):
        checked.mel_to_waveform(MEL * float("nan"))
    assert vocoder.calls == []


def test_a_custom_base_exception_from_a_hook_is_contained_like_any_error():
    class Escape(BaseException):
        pass

    @hookimpl
    def vocoder_priority(model):
        raise Escape("not an Exception")

    registry = VocoderRegistry(eps=[])
    registry.register(types.SimpleNamespace(vocoder_priority=vocoder_priority), "escaping")
    assert registry.priorities(None) == {}
    assert registry.record("escaping").error == "Escape: not an Exception"


class _Streaming(Vocoder):
    """Renders noise piece by piece; fails after `fail_after` pieces."""

    name, sample_rate = "flaky", 48000

    def __init__(self, fail_after: int) -> None:
        self.fail_after, self.streams = fail_after, 0

    def mel_to_waveform(self, mel, num_samples=None):
        return torch.cat(list(self.stream_waveform(mel, num_samples)), -1)

    def stream_waveform(self, mel, num_samples=None, progress=None):
        self.streams += 1
        total = num_samples or mel.shape[-1] * 512
        for k, start in enumerate(range(0, total, 1000)):
            if k == self.fail_after:
                raise RuntimeError("the accelerator went away")
            yield 0.1 * torch.ones(mel.shape[0], min(1000, total - start))


def test_a_vocoder_failing_mid_stream_hands_over_and_the_render_starts_again():
    mel = torch.rand(1, CONFIG.n_mels, 20)
    flaky, steady = _Streaming(fail_after=3), _Streaming(fail_after=-1)
    steady.name = "steady"
    checked = select_vocoder("auto", None, torch.device("cpu"), _registry((flaky, 200), (steady, 100)))
    got = []
    with pytest.raises(RenderRestarted):
        got.extend(checked.stream_waveform(mel))
    assert len(got) == 3 and checked.name == "steady"
    assert "the accelerator went away" in checked.skipped[0]["reason"]
    again = torch.cat(list(checked.stream_waveform(mel)), -1)
    assert again.shape == (1, 20 * 512) and steady.streams == 1


def test_a_vocoder_failing_before_its_first_piece_is_replaced_without_a_restart():
    mel = torch.rand(1, CONFIG.n_mels, 20)
    broken, steady = _Streaming(fail_after=0), _Streaming(fail_after=-1)
    broken.name, steady.name = "broken", "steady"
    checked = select_vocoder("auto", None, torch.device("cpu"), _registry((broken, 200), (steady, 100)))
    assert torch.cat(list(checked.stream_waveform(mel)), -1).shape == (1, 20 * 512)
    assert checked.name == "steady"
