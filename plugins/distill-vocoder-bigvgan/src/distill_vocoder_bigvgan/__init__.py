"""BigVGAN-v2 (44 kHz, 128 bands, 512x) vocoder plugin for Distill."""

from distill_vocoder_bigvgan.adapter import adapt_mel
from distill_vocoder_bigvgan.generator import BigVGANConfig, BigVGANGenerator, load_generator
from distill_vocoder_bigvgan.vocoder import BigVGANVocoder

__all__ = ["BigVGANConfig", "BigVGANGenerator", "BigVGANVocoder", "adapt_mel", "load_generator"]
