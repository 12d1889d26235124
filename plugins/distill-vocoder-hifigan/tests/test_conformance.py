"""HiFi-GAN against the conformance suite every vocoder plugin runs, with small random weights."""

from __future__ import annotations

import pytest
import torch

from distill.vocoders import SpectrogramConfig
from distill.vocoders.testing import VocoderConformance, model_for
from distill_vocoder_hifigan import Generator, HiFiGANConfig

SPECTROGRAM = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)


class TestHiFiGANConformance(VocoderConformance):
    vocoder_name = "hifigan"
    distribution = "distill-vocoder-hifigan"
    trained_weights = False  # training one to convergence is a benchmark, not a test
    long_frames = 2100  # past one 2,048-frame chunk

    @pytest.fixture
    def conformance_model(self):
        """A model carrying its own (random, narrow) HiFi-GAN, as `distill train-vocoder` bundles one."""
        config = HiFiGANConfig.for_spectrogram(SPECTROGRAM, upsample_initial_channel=32)
        torch.manual_seed(0)
        generator = Generator(config, weight_norm=False)
        return model_for(
            SPECTROGRAM,
            vocoder_type="hifigan",
            vocoder_config=config.to_dict(),
            vocoder_state_dict=generator.state_dict(),
        )
