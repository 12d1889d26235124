"""A slider's preview: the model's sound at those sliders, at once, through the fastest good vocoder."""

from __future__ import annotations

import torch

from distill.inference.preview import ONE_SHOT_SECONDS, render_preview
from distill.models.format import load_model


def test_a_one_shot_preview_is_the_sound_as_long_as_it_rings(tiny_model_path):
    model = load_model(tiny_model_path)
    render_preview(model, {}, 0, 1.0, torch.device("cpu"))  # the vocoder is loaded once per model
    made = render_preview(model, {0: 1.0}, 3, 1.0, torch.device("cpu"))
    assert made.vocoder == "griffinlim" and made.sample_rate == 48000
    assert 0 < made.audio.numel() <= 48000 and made.render_seconds > 0
    assert abs(float(made.audio.abs().max()) - 10 ** (-1 / 20)) < 1e-3
    longest = render_preview(model, {}, 3, 60.0, torch.device("cpu"))
    assert longest.audio.numel() <= ONE_SHOT_SECONDS * 48000
