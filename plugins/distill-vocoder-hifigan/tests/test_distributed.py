"""Data-parallel training on torch.distributed: two gloo processes take the steps one process takes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import torch

from distill.host.recordings import model_training_audio
from distill.host.vocoder_training import train_model_vocoder
from distill.models.format import load_model
from distill.vocoders import SpectrogramConfig, waveform_to_mel
from distill_vocoder_hifigan import Generator, HiFiGANConfig

SPECTROGRAM = SpectrogramConfig(sample_rate=16000, n_fft=512, hop_length=128, n_mels=40)
TINY = {"upsample_initial_channel": 16, "periods": [2, 3], "scales": 2}
WORKER = Path(__file__).with_name("ddp_worker.py")


def _options(run_dir: Path, **extra) -> dict:
    """A global batch of 4 (2 per process in a pair), one warm-up step, then adversarial steps."""
    return {
        "run_dir": str(run_dir),
        "batch_size": 4,
        "segment_frames": 8,
        "learning_rate": 2e-3,
        "warmup_steps": 1,
        "discriminator_width": 16,
        "model_overrides": TINY,
        "checkpoint_every": 100,
        "preview_every": 1000,
        **extra,
    }


def _render(run_dir: Path | None, config: dict | None = None) -> torch.Tensor:
    """A fixed mel through the generator of the run's checkpoint (or, without one, the seed's initial one).

    Outputs, not weights, are compared: Adam turns the rounding noise of gradients that
    cancel to about zero into whole learning-rate steps of single weights, which the
    output does not feel (2 % of the weight change, 3e-5 of the output change, in one process).
    """
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True) if run_dir else None
    torch.manual_seed(0)
    generator = Generator(HiFiGANConfig.from_dict(state["config"] if state else config))
    if state:
        generator.load_state_dict(state["generator"])
    mel = waveform_to_mel(torch.sin(torch.arange(4000) / 7.0)[None] * 0.3, SPECTROGRAM)
    with torch.no_grad():
        return generator.eval()(mel)


def _relative_difference(pair: Path, single: Path) -> float:
    """|pair - single| over how far training moved the output from where it started."""
    config = torch.load(single / "checkpoint.pt", weights_only=True)["config"]
    start, one, two = _render(None, config), _render(single), _render(pair)
    return ((two - one).norm() / (one - start).norm()).item()


def _step(run_dir: Path) -> int:
    return torch.load(run_dir / "checkpoint.pt", weights_only=True)["step"]


def test_two_gloo_processes_match_one_with_the_same_global_batch_and_resume_with_one(model, tmp_path):
    pair, single = tmp_path / "pair", tmp_path / "single"
    shutil.copy(model.path, tmp_path / "pair.distill")
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", str(WORKER)]
    options = json.dumps(_options(pair, max_steps=5))
    done = subprocess.run(
        [*launch, str(tmp_path / "pair.distill"), options, "3"],
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1 and "exitcode  : 3" in done.stderr, done.stderr  # both cancelled (torchrun: 1)
    cancelled = load_model(tmp_path / "pair.distill")
    assert cancelled.vocoder_evaluation["training_steps"] == 3  # rank 0 stored the vocoder so far, judged

    train_model_vocoder(model, "hifigan", model_training_audio(model), _options(single, max_steps=3))
    assert _step(pair) == _step(single) == 3
    assert _relative_difference(pair, single) < 1e-3

    # the pair's checkpoint resumed by one process ends where one process alone ends
    train_model_vocoder(model, "hifigan", model_training_audio(model), _options(pair, max_steps=5, resume=True))
    train_model_vocoder(model, "hifigan", model_training_audio(model), _options(single, max_steps=5, resume=True))
    assert _step(pair) == _step(single) == 5
    assert _relative_difference(pair, single) < 1e-3
