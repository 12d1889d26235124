"""Per-model HiFi-GAN V2 vocoder plugin for Distill."""

from distill_vocoder_hifigan.config import HiFiGANConfig
from distill_vocoder_hifigan.generator import Generator
from distill_vocoder_hifigan.vocoder import HiFiGANVocoder

__all__ = ["Generator", "HiFiGANConfig", "HiFiGANVocoder"]
