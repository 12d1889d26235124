"""Slider truth: which end of each slider is which, measured where generation draws, across seeds."""

from __future__ import annotations

import torch

from distill.audio.spectrogram import SpectrogramConfig
from distill.controls.analysis import LatentAnalysis, Slider
from distill.controls.directions import measure_directions, ring_frames, slider_directions
from distill.models.format import load_model

CONFIG = SpectrogramConfig()
FRAMES = 64


def _analysis(names: list[str]) -> LatentAnalysis:
    dim = len(names)
    torch.manual_seed(0)
    return LatentAnalysis(
        mean=[0.0] * dim,
        components=torch.eye(dim).tolist(),
        scales=[1.0] * dim,
        sliders=[Slider(i, name, -2.0, 2.0, 0.0, 1 / dim) for i, name in enumerate(names)],
        spread=[0.1] * dim,
        anchors=0.1 * torch.randn(8, dim),
        anchor_scales=torch.full((8, dim), 0.01),
    )


def _decode(latents: torch.Tensor) -> torch.Tensor:
    """A stand-in decoder: dimension 0 shortens the sound (though named "decay"), 1 does nothing, 2 brightens."""
    t = torch.arange(FRAMES, dtype=torch.float32)
    bands = torch.arange(CONFIG.n_mels, dtype=torch.float32)
    tau = 10.0 * torch.exp(-latents[:, 0:1])  # [N, 1] frames
    envelope = torch.exp(-t[None] / tau)  # [N, frames]
    centre = 40.0 + 15.0 * latents[:, 2:3]
    spectrum = torch.exp(-((bands[None] - centre) ** 2) / 200.0) + 1e-3  # [N, bands]
    return torch.log1p(100.0 * spectrum[:, :, None] * envelope[:, None, :])


def test_a_slider_named_decay_that_shortens_the_sound_is_shown_longer_to_shorter():
    directions = measure_directions(_analysis(["decay", "texture 2", "texture 3"]), _decode, CONFIG, one_shot=True)
    decay, nothing, bright = directions
    assert decay.feature == "decay" and not decay.rises and decay.ends == ("longer", "shorter")
    assert decay.agreement >= 0.75
    assert nothing.feature is None and nothing.ends is None  # nothing measurable changes: not worth a slider
    assert bright.feature == "brightness" and bright.ends == ("darker", "brighter")


def test_ring_time_is_how_long_a_sound_stays_within_20_db_of_its_peak():
    t = torch.arange(FRAMES, dtype=torch.float32)
    short, long = (torch.log1p(torch.exp(-t / tau))[None].expand(CONFIG.n_mels, FRAMES) for tau in (3.0, 12.0))
    rings = ring_frames(torch.stack([short, long]))
    assert rings[0] < rings[1]


def test_every_slider_of_a_trained_model_gets_a_measured_direction_or_none(tiny_model_path):
    model = load_model(tiny_model_path)
    directions = slider_directions(model, seeds=4)
    assert [d.index for d in directions] == [s["index"] for s in model.latent_analysis["sliders"]]
    assert all(d.feature is None or (d.agreement >= 0.75 and len(d.ends) == 2) for d in directions)
