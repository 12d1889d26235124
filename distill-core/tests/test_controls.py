"""Sliders: features measure what their names promise, and PCA axes are named and oriented by them."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from distill.audio.spectrogram import SpectrogramConfig, waveform_to_mel
from distill.controls.analysis import analyse_latents
from distill.controls.features import mel_features
from distill.errors import DistillError

CONFIG = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)


def _tone(hz: float, amplitude: float = 0.5, seconds: float = 0.5) -> torch.Tensor:
    t = torch.arange(int(CONFIG.sample_rate * seconds)) / CONFIG.sample_rate
    return amplitude * torch.sin(2 * torch.pi * hz * t)


def _features(*waves: torch.Tensor) -> dict[str, torch.Tensor]:
    return mel_features(waveform_to_mel(torch.stack(waves), CONFIG), CONFIG)


def test_features_measure_what_the_slider_names_say():
    noise = 0.2 * torch.randn(CONFIG.sample_rate // 2, generator=torch.Generator().manual_seed(0))
    hit = _tone(300) * torch.exp(-torch.arange(CONFIG.sample_rate // 2) / 400)
    swell = _tone(300) * torch.linspace(0, 1, CONFIG.sample_rate // 2)
    f = _features(_tone(100), _tone(3000), noise, _tone(300), _tone(300, amplitude=0.25), hit, swell)
    assert f["brightness"][1] > f["brightness"][0]
    assert f["noisiness"][2] > 10 * f["noisiness"][3]
    assert f["loudness"][3] - f["loudness"][4] == pytest.approx(6.02, abs=0.1)
    assert f["decay"][6] > f["decay"][5] + 5
    assert f["bass"][0] > 0.9 > 0.1 > f["bass"][1]


class _ToyVAE(nn.Module):
    """Latent 0 moves energy from a low band to a high one, latent 1 only scales the level.

    A known decoder, so the test can say which slider must come out named what.
    """

    def __init__(self) -> None:
        super().__init__()
        low, high = torch.zeros(CONFIG.n_mels), torch.zeros(CONFIG.n_mels)
        low[12:16], high[30:34] = 1.0, 1.0  # both bands above 200 Hz: no "bass" change
        self.register_buffer("low", low)
        self.register_buffer("high", high)

    def encode(self, mel: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return mel[:, :2, 0], torch.zeros(mel.shape[0], 2)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        tilt = torch.sigmoid(-z[:, :1])  # up the first latent: darker
        gain = torch.exp(2 + z[:, 1:2])  # a uniform gain changes loudness and nothing else
        power = gain * (tilt * self.low + (1 - tilt) * self.high + 0.01)
        return torch.log1p(power)[:, :, None].expand(-1, -1, 8)


def test_sliders_are_named_after_what_they_change_and_point_up():
    generator = torch.Generator().manual_seed(1)
    latents = torch.randn(64, 2, generator=generator) * torch.tensor([3.0, 1.0])
    segments = torch.zeros(64, CONFIG.n_mels, 8)
    segments[:, :2, 0] = latents
    vae = _ToyVAE()
    analysis = analyse_latents(vae, segments, CONFIG)
    names = [s.name for s in analysis.sliders]
    assert names[0] == "brightness" and names[1] == "loudness"
    assert analysis.sliders[0].explained_variance > analysis.sliders[1].explained_variance
    for index, feature in ((0, "brightness"), (1, "loudness")):
        down, up = (analysis.to_latent({index: value}) for value in (-2.0, 2.0))
        measured = mel_features(vae.decode(torch.stack([down, up])), CONFIG)[feature]
        assert measured[1] > measured[0]


class _WhisperVAE(_ToyVAE):
    """Latent 1 only nudges a sliver of energy below 200 Hz: a change no one can hear."""

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        tilt = torch.sigmoid(-z[:, :1])
        power = 50 * (tilt * self.low + (1 - tilt) * self.high + 0.01)
        power[:, 0] += 1e-3 * torch.sigmoid(z[:, 1])
        return torch.log1p(power)[:, :, None].expand(-1, -1, 8)


def test_an_inaudible_change_never_names_a_slider():
    segments = torch.zeros(64, CONFIG.n_mels, 8)
    segments[:, :2, 0] = torch.randn(64, 2, generator=torch.Generator().manual_seed(3)) * torch.tensor([3.0, 1.0])
    names = [s.name for s in analyse_latents(_WhisperVAE(), segments, CONFIG).sliders]
    assert names == ["brightness", "texture 2"]


def test_a_slider_value_out_of_range_is_one_sentence():
    segments = torch.zeros(16, CONFIG.n_mels, 8)
    segments[:, :2, 0] = torch.randn(16, 2, generator=torch.Generator().manual_seed(2))
    analysis = analyse_latents(_ToyVAE(), segments, CONFIG)
    with pytest.raises(DistillError, match=r"^Slider 0 \(.+\) takes values from .+, not 99\.$"):
        analysis.to_latent({0: 99.0})
    with pytest.raises(DistillError, match="does not exist"):
        analysis.to_latent({7: 0.0})
