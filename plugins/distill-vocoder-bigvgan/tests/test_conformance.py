"""BigVGAN against the conformance suite every vocoder plugin runs, with tiny random weights."""

from __future__ import annotations

import pytest

from distill.vocoders.testing import VocoderConformance
from distill_vocoder_bigvgan.download import weights_dir


class TestBigVGANConformance(VocoderConformance):
    vocoder_name = "bigvgan"
    distribution = "distill-vocoder-bigvgan"
    trained_weights = False  # the real weights cannot be downloaded here
    long_frames = 600  # past two 256-frame chunks

    @pytest.fixture
    def conformance_model(self, conformance_home, own_checkpoint):
        """No model (the default mel config); a tiny random checkpoint placed by hand, as offline users do."""
        own_checkpoint(weights_dir())
        return None
