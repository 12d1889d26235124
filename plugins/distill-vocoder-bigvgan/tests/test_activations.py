"""The anti-aliasing filters against NVIDIA's resamplers, at every short length."""

from __future__ import annotations

import pytest
import torch

from distill_vocoder_bigvgan.activations import _LowPass, _Upsample2x


@pytest.mark.parametrize("length", range(1, 21))
def test_upsampling_replicates_the_ends_at_any_length(length):
    from bigvgan.alias_free_activation.torch.resample import UpSample1d

    x = torch.randn(3, 5, length, generator=torch.Generator().manual_seed(length))  # [B, C, T]
    expected = UpSample1d(2, 12)(x)
    got = _Upsample2x()(x.transpose(1, 2).contiguous()).transpose(1, 2)
    assert got.shape == expected.shape
    assert (got - expected).abs().max() < 1e-5


@pytest.mark.parametrize("length", range(2, 41, 2))
def test_low_pass_replicates_the_ends_at_any_length(length):
    from bigvgan.alias_free_activation.torch.resample import DownSample1d

    x = torch.randn(3, 5, length, generator=torch.Generator().manual_seed(length))
    expected = DownSample1d(2, 12)(x)
    got = _LowPass()(x.transpose(1, 2).contiguous()).transpose(1, 2)
    assert got.shape == expected.shape
    assert (got - expected).abs().max() < 1e-5
