"""Spatial modes give the right channels and a measurable image; the quality report measures right."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest
import torch

from distill.audio.quality import integrated_loudness, quality_report
from distill.audio.spatial import render_spatial
from distill.errors import DistillError

RATE = 48000


def _noise(seconds: float = 1.0) -> torch.Tensor:
    return 0.1 * torch.randn(int(seconds * RATE), generator=torch.Generator().manual_seed(0))


def _lag(left: torch.Tensor, right: torch.Tensor) -> int:
    """Samples by which `left` trails `right` (positive: the left ear hears it later)."""
    c = np.correlate(left[:9600].numpy(), right[:9600].numpy(), "full")
    return int(c.argmax() - 9599)


def test_mono_is_one_channel():
    assert render_spatial(_noise(), RATE, "mono").shape == (1, RATE)


def test_stereo_width_controls_inter_channel_correlation():
    narrow = render_spatial(_noise(), RATE, "stereo", width=0.0)
    wide = render_spatial(_noise(), RATE, "stereo", width=1.5)
    assert narrow.shape == wide.shape == (2, RATE)
    assert torch.corrcoef(narrow)[0, 1] > 0.999
    assert torch.corrcoef(wide)[0, 1] < 0.5


def test_builtin_binaural_places_a_source_to_the_right():
    ears = render_spatial(_noise(), RATE, "binaural", azimuth=60.0)
    assert ears.shape == (2, RATE)
    level_difference = 20 * math.log10(ears[1].norm() / ears[0].norm())
    assert level_difference > 3.0
    expected_itd = 0.0875 / 343 * (math.radians(60) + math.sin(math.radians(60))) * RATE
    assert abs(_lag(ears[0], ears[1]) - expected_itd) <= 2


def test_binaural_from_a_sofa_file(tmp_path):
    irs = np.zeros((2, 2, 64), dtype="float32")
    irs[:, 0, 0] = 1.0  # left ear: direct
    irs[:, 1, 10] = 0.5  # right ear: 10 samples later, quieter
    with h5py.File(tmp_path / "hrtf.sofa", "w") as sofa:
        sofa["Data.IR"] = irs
        sofa["Data.SamplingRate"] = np.array([RATE], dtype="float64")
        sofa["SourcePosition"] = np.array([[30.0, 0.0, 1.0], [330.0, 0.0, 1.0]], dtype="float64")
    ears = render_spatial(_noise(), RATE, "binaural", azimuth=-30.0, hrtf=tmp_path / "hrtf.sofa")
    assert _lag(ears[1], ears[0]) == 10
    assert 20 * math.log10(ears[0].norm() / ears[1].norm()) == pytest.approx(6.02, abs=0.2)


def test_unknown_mode_is_one_sentence():
    with pytest.raises(DistillError, match="Unknown spatial mode 'surround'"):
        render_spatial(_noise(), RATE, "surround")


def test_loudness_of_a_minus_20_dbfs_sine_is_minus_23_lufs():
    t = torch.arange(5 * RATE) / RATE
    sine = 0.1 * torch.sin(2 * math.pi * 997 * t)
    assert integrated_loudness(sine, RATE) == pytest.approx(-23.0, abs=0.1)
    assert integrated_loudness(torch.stack([sine, sine]), RATE) == pytest.approx(-20.0, abs=0.1)


def test_quality_report_flags_clipping_silence_and_nonfinite():
    clipped = torch.ones(RATE)
    assert quality_report(clipped, RATE)["clipped_samples"] == RATE
    silent = quality_report(torch.zeros(RATE), RATE)
    assert silent["silent"] and silent["peak_dbfs"] is None
    broken = torch.zeros(RATE)
    broken[5] = float("nan")
    assert quality_report(broken, RATE)["finite"] is False
