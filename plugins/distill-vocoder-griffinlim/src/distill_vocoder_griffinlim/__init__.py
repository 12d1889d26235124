"""Griffin-Lim vocoder plugin for Distill."""

from distill_vocoder_griffinlim.vocoder import GriffinLimVocoder

__all__ = ["GriffinLimVocoder"]
