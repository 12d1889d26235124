"""Griffin-Lim against the conformance suite every vocoder plugin runs."""

from __future__ import annotations

import pytest

from distill.vocoders import SpectrogramConfig
from distill.vocoders.testing import VocoderConformance, model_for


class TestGriffinLimConformance(VocoderConformance):
    vocoder_name = "griffinlim"
    distribution = "distill-vocoder-griffinlim"
    long_frames = 2100  # just past one 2,048-frame chunk

    @pytest.fixture
    def conformance_model(self):
        """A small mel config (also: the plugin must read it from the model) keeps the long input quick."""
        return model_for(SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=64))
