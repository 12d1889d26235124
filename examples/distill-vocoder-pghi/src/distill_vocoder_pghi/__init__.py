"""Phase-gradient heap integration vocoder plugin for Distill (an example third-party plugin)."""

from distill_vocoder_pghi.pghi import Grid, integrate_phase
from distill_vocoder_pghi.vocoder import PGHIVocoder

__all__ = ["Grid", "PGHIVocoder", "integrate_phase"]
