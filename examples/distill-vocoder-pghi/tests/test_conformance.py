"""The conformance suite every Distill vocoder plugin runs: a few lines, as the guide shows."""

from __future__ import annotations

import pytest

from distill.vocoders import SpectrogramConfig
from distill.vocoders.testing import VocoderConformance, model_for


class TestPGHIConformance(VocoderConformance):
    vocoder_name = "pghi"
    distribution = "distill-vocoder-pghi"
    long_frames = 1100  # past two 512-frame chunks

    @pytest.fixture
    def conformance_model(self):
        return model_for(SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=64))
