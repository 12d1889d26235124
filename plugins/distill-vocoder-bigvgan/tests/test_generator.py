"""Our generator against NVIDIA's implementation on the same random weights."""

from __future__ import annotations

import pytest
import torch

from distill_vocoder_bigvgan import generator as generator_module
from distill_vocoder_bigvgan import load_generator
from distill_vocoder_bigvgan.generator import CONFIG_FILE, WEIGHTS_FILE
from distill_vocoder_bigvgan.vocoder import vocode_in_chunks
from distill_vocoder_bigvgan.weights_cache import CACHE_FILE, read_cached_state

from .conftest import TINY_CONFIG, official_model, write_checkpoint

SMALL_44K_LIKE = {
    **TINY_CONFIG,
    "upsample_rates": [8, 4, 2, 2, 2, 2],
    "upsample_kernel_sizes": [16, 8, 4, 4, 4, 4],
    "upsample_initial_channel": 64,
}


def _difference_from_official(ours: torch.nn.Module, config: dict) -> float:
    """Max |ours - NVIDIA's| on one random mel `[2, 128, 12]`, same weights (the shapes checked too)."""
    reference = official_model(config)
    reference.remove_weight_norm()
    mel = torch.randn(2, 128, 12, generator=torch.Generator().manual_seed(1)) - 4
    with torch.no_grad():
        expected, got = reference(mel), ours(mel)
    assert got.shape == expected.shape == (2, 1, 12 * 512)
    return (got - expected).abs().max().item()


@pytest.mark.parametrize("config", [TINY_CONFIG, SMALL_44K_LIKE], ids=["tiny", "44k-layout"])
def test_output_matches_the_official_implementation(tmp_path, config):
    write_checkpoint(tmp_path, config)
    assert _difference_from_official(load_generator(tmp_path), config) <= 1e-4


def test_checkpoint_keys_must_match_exactly(tmp_path, checkpoint_dir):
    state = torch.load(checkpoint_dir / "bigvgan_generator.pt", weights_only=True)
    state["generator"]["unexpected.weight"] = torch.zeros(1)
    (tmp_path / "config.json").write_text((checkpoint_dir / "config.json").read_text())
    torch.save(state, tmp_path / "bigvgan_generator.pt")
    with pytest.raises(RuntimeError, match="Unexpected key"):
        load_generator(tmp_path)


def test_generator_is_in_eval_mode_with_weight_norm_folded(checkpoint_dir):
    generator = load_generator(checkpoint_dir)
    assert not generator.training
    assert not any("weight_g" in name or "parametrizations" in name for name, _ in generator.named_parameters())


@pytest.mark.parametrize("load", ["first", "from the cache"])
def test_loaded_weights_are_stored_in_the_order_channels_last_kernels_read(tmp_path, load):
    """Otherwise every convolution call copies its weight first (0.2 s per second of audio)."""
    write_checkpoint(tmp_path)
    generator = load_generator(tmp_path)
    if load == "from the cache":
        generator = load_generator(tmp_path)
    convolutions = [m for m in generator.modules() if isinstance(m, torch.nn.Conv1d | torch.nn.ConvTranspose1d)]
    assert convolutions
    for conv in convolutions:
        assert conv.weight.unsqueeze(2).is_contiguous(memory_format=torch.channels_last)


def test_chunked_vocoding_matches_one_pass(checkpoint_dir):
    generator = load_generator(checkpoint_dir)
    mel = torch.randn(1, 128, 150, generator=torch.Generator().manual_seed(2)) - 4
    with torch.no_grad():
        whole = generator(mel)[:, 0]
        chunked = vocode_in_chunks(generator, mel, chunk=40, crossfade=4)
    assert chunked.shape == whole.shape
    assert (chunked - whole).abs().max() < 1e-4


def test_vocoder_renders_on_each_device(checkpoint_dir, device):
    from distill.vocoders import SpectrogramConfig, waveform_to_mel
    from distill_vocoder_bigvgan.vocoder import BigVGANVocoder

    config = SpectrogramConfig()
    vocoder = BigVGANVocoder(load_generator(checkpoint_dir), config).to(device)
    wav = torch.sin(torch.arange(9600) / 9.0)[None] * 0.3
    out = vocoder.mel_to_waveform(waveform_to_mel(wav.to(device), config), num_samples=9600)
    assert out.device.type == device and out.shape == (1, 9600) and torch.isfinite(out).all()


def test_second_load_reads_the_folded_cache_without_refolding(tmp_path, monkeypatch):
    write_checkpoint(tmp_path)
    first = load_generator(tmp_path)
    assert (tmp_path / CACHE_FILE).is_file()

    def refold(state):
        raise AssertionError("the checkpoint was folded again although the cache is current")

    monkeypatch.setattr(generator_module, "fold_weight_norm", refold)
    second = load_generator(tmp_path)
    mel = torch.randn(1, 128, 10, generator=torch.Generator().manual_seed(3)) - 4
    with torch.no_grad():
        assert torch.equal(first(mel), second(mel))


def test_cache_is_rebuilt_when_the_checkpoint_is_replaced(tmp_path):
    write_checkpoint(tmp_path)
    load_generator(tmp_path)
    config = {**TINY_CONFIG, "upsample_initial_channel": 32}  # another checkpoint, other shapes
    write_checkpoint(tmp_path, config)
    assert _difference_from_official(load_generator(tmp_path), config) <= 1e-4


def test_damaged_cache_is_rebuilt_from_the_checkpoint(tmp_path):
    write_checkpoint(tmp_path)
    load_generator(tmp_path)
    (tmp_path / CACHE_FILE).write_bytes(b"not a checkpoint")
    load_generator(tmp_path)
    assert read_cached_state(tmp_path, (CONFIG_FILE, WEIGHTS_FILE)) is not None
