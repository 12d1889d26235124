"""The opt-in reduced-precision path (`DISTILL_BIGVGAN_PRECISION`): fp32 stays the reference."""

from __future__ import annotations

import pytest
import torch

from distill.errors import DistillError
from distill.host.selector import select_vocoder
from distill_vocoder_bigvgan.download import weights_dir
from distill_vocoder_bigvgan.plugin import PRECISION_SWITCH, _cpu_has_bf16, load_vocoder

MEL = torch.rand(1, 128, 300, generator=torch.Generator().manual_seed(2)) * 3  # longer than a chunk


@pytest.fixture
def placed(checkpoint_dir, monkeypatch):
    """The tiny checkpoint placed by hand, the hub unreachable."""
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    for name in ("config.json", "bigvgan_generator.pt"):
        (weights_dir() / name).write_bytes((checkpoint_dir / name).read_bytes())


def _render() -> tuple[torch.Tensor, torch.dtype]:
    vocoder = load_vocoder(name="bigvgan", model=None, device=torch.device("cpu"), progress=None)
    return vocoder.mel_to_waveform(MEL, num_samples=300 * 480), next(vocoder.generator.parameters()).dtype


@pytest.mark.skipif(not _cpu_has_bf16(), reason="this CPU has no native bf16")
def test_bf16_renders_float32_audio_close_to_the_fp32_render(placed, monkeypatch):
    exact, exact_dtype = _render()
    monkeypatch.setenv(PRECISION_SWITCH, "bf16")
    reduced, reduced_dtype = _render()
    assert (exact_dtype, reduced_dtype) == (torch.float32, torch.bfloat16)
    assert reduced.dtype == torch.float32 and reduced.shape == exact.shape
    relative = (reduced - exact).pow(2).mean().sqrt() / exact.pow(2).mean().sqrt()
    assert 0 < relative < 0.1  # bf16 keeps 8 bits of mantissa: different, but the same sound


@pytest.mark.parametrize(
    ("value", "says"), [("fp8", "is not a precision"), ("fp16", "needs a CUDA device")], ids=["unknown", "fp16-on-cpu"]
)
def test_a_precision_this_device_cannot_run_is_one_sentence(placed, monkeypatch, value, says):
    monkeypatch.setenv(PRECISION_SWITCH, value)
    with pytest.raises(DistillError, match=says):
        select_vocoder("bigvgan", None, torch.device("cpu"))
