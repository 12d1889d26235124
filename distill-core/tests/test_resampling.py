"""Resampling between any two sane rates, coprime ones included, in memory that follows the audio."""

from __future__ import annotations

import math
import sys
import textwrap

import pytest
import torch
import torchaudio.functional as AF

from distill.audio import resampling
from distill.audio.resampling import BETA, KERNEL_ELEMENTS, LOWPASS_WIDTH, ROLLOFF, Resampler, resample
from distill.errors import DistillError


def _torchaudio(wav: torch.Tensor, orig: int, new: int) -> torch.Tensor:
    return AF.resample(
        wav,
        orig,
        new,
        lowpass_filter_width=LOWPASS_WIDTH,
        rolloff=ROLLOFF,
        resampling_method="sinc_interp_kaiser",
        beta=BETA,
    )


@pytest.mark.parametrize(("orig", "new"), [(2003, 2400), (2400, 2003)])
def test_rates_whose_filter_is_too_big_for_torchaudio_get_its_samples_anyway(orig, new):
    assert resampling._kernel_elements(orig, new) > KERNEL_ELEMENTS  # so `resample` takes the bounded path
    wav = torch.randn(2, 5000, dtype=torch.float64, generator=torch.Generator().manual_seed(orig))
    ours = resample(wav, orig, new)
    theirs = _torchaudio(wav, orig, new)
    assert ours.shape == theirs.shape
    torch.testing.assert_close(ours, theirs, rtol=0, atol=1e-6)
    resampler = Resampler(orig, new)
    pieces = [p for cut in wav.split(777, dim=-1) for p in resampler.process(cut)] + list(resampler.finish())
    torch.testing.assert_close(torch.cat(pieces, dim=-1), ours, rtol=0, atol=1e-12)


@pytest.mark.parametrize("orig", [44_101, 47_999])
def test_a_tone_at_a_coprime_rate_stays_the_same_tone(orig):
    t = torch.arange(orig, dtype=torch.float64) / orig
    wav = torch.sin(2 * math.pi * 1000 * t).float()
    out = resample(wav, orig, 48000)
    assert out.numel() == 48000
    middle = out[4800:-4800].double()
    expected = torch.sin(2 * math.pi * 1000 * torch.arange(4800, 48000 - 4800, dtype=torch.float64) / 48000)
    assert (middle - expected).abs().max() < 1e-3


def test_resampling_between_coprime_rates_costs_memory_of_the_audio_not_of_the_rates(bounded_run):
    """Before, 44,101 -> 48,000 Hz built a 48,000 x 44,237 filter (8.5 GB) for one second of sound."""
    code = textwrap.dedent(
        """
        import resource, torch
        from distill.audio.resampling import resample
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, flush=True)
        for orig in (44_101, 47_999):
            out = resample(torch.randn(orig), orig, 48_000)
            assert out.numel() == 48_000 and torch.isfinite(out).all()
            assert resample(out, 48_000, orig).numel() == orig
        """
    )
    run = bounded_run([sys.executable, "-c", code])
    assert run.code == 0, run.stderr[-2000:]
    assert run.peak_mib - float(run.stdout.split()[0]) < 300  # MiB over what importing torch takes


@pytest.mark.parametrize("rate", [2_147_483_647, 768_001, 999, 0, -48000])
def test_a_rate_beyond_the_sane_range_is_refused_in_one_sentence(rate):
    with pytest.raises(DistillError, match=r"sample rate of .* Hz is outside the 1,000 to 768,000 Hz"):
        resample(torch.zeros(10), rate, 48000)
    with pytest.raises(DistillError, match="outside the 1,000 to 768,000 Hz"):
        Resampler(48000, rate)
