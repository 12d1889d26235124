"""Generated one-shots ring as long as the collection's and keep its partials.

Each collection is synthesised so the answer is known: hits with exponential tails of
very different lengths (a few of them far longer than the rest, as crashes are in a
kit), and harmonic tones whose partials the core mel resolves, among noise hits. A small model is trained
on each with the default layout (the tests shrink only the network), then one sound is
generated per training sound.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from distill.audio.io import write_audio
from distill.audio.resemblance import sounding_seconds
from distill.data.segmenting import ONE_SHOT
from distill.host.selector import select_vocoder
from distill.inference.pipeline import generate
from distill.models.vae import VAEConfig
from distill.training.presets import PRESETS
from distill.training.runner import train_model

RATE = 48000
SMALL_NET = VAEConfig(latent_dim=8, channels=(8, 16, 32, 64))


def _decay(seconds: float, to_db: float = -60.0) -> torch.Tensor:
    t = torch.arange(round((seconds + 0.05) * RATE)) / RATE
    return torch.exp(t * to_db / 20 * math.log(10) / seconds)


def write_tails(folder: Path) -> list[float]:
    """24 hits whose tails reach -60 dB after 0.1-0.9 s, two of them after 2.4 s; their ringing lengths."""
    g = torch.Generator().manual_seed(3)
    lengths = [0.1 + 0.8 * k / 21 for k in range(22)] + [2.4, 2.4]
    for index, seconds in enumerate(lengths):
        envelope = _decay(seconds)
        if index % 2:
            t = torch.arange(envelope.numel()) / RATE
            wav = torch.sin(2 * math.pi * (55 + 10 * index) * t) * envelope  # an 808-like boom
        else:
            wav = torch.randn(envelope.numel(), generator=g) * envelope  # a cymbal-like wash
        write_audio(folder / f"hit-{index:02d}.wav", 0.8 * wav / wav.abs().max(), RATE)
    return [seconds * 40 / 60 for seconds in lengths]  # where each falls 40 dB under its peak


def write_tones_among_hits(folder: Path) -> None:
    """12 plucked harmonic tones (5 partials each, all below 2.5 kHz) among 12 noise hits, as in a kit."""
    g = torch.Generator().manual_seed(3)
    for index in range(24):
        if index % 2:
            envelope = _decay(0.1 + 0.03 * index)
            wav = torch.randn(envelope.numel(), generator=g) * envelope
        else:
            f0 = 196.0 * 2 ** ((index // 2) / 12)
            envelope = _decay(0.8)
            t = torch.arange(envelope.numel()) / RATE
            wav = sum(torch.sin(2 * math.pi * f0 * k * t) / k for k in range(1, 6)) * envelope
        write_audio(folder / f"sound-{index:02d}.wav", 0.8 * wav / wav.abs().max(), RATE)


def partial_count(wav: torch.Tensor) -> int:
    """Spectral lines in the first 0.3 s: peaks within 40 dB of the strongest that stand 15 dB
    above the median of their ±150 Hz (4096-point STFT), so a band or noise counts as none."""
    spectrum = torch.stft(wav[: round(0.3 * RATE)], 4096, 1024, window=torch.hann_window(4096), return_complex=True)
    db = 10 * torch.log10(spectrum.abs().pow(2).mean(-1) + 1e-12)
    half = 13  # bins of 11.7 Hz
    floor = F.pad(db[None, None], (half, half), mode="replicate").unfold(-1, 2 * half + 1, 1)[0, 0].median(-1).values
    inner = db[1:-1]
    peak = (inner > db[:-2]) & (inner >= db[2:]) & (inner > db.max() - 40) & (inner - floor[1:-1] > 15)
    return int(peak.sum())


def small_network(monkeypatch: pytest.MonkeyPatch, steps: int) -> None:
    monkeypatch.setitem(PRESETS, "small", replace(PRESETS["small"], steps=steps, vae=SMALL_NET))


def one_per_sound(folder: Path, name: str) -> tuple[list[torch.Tensor], int]:
    model = train_model(folder, name)
    assert model.metadata["layout"]["mode"] == ONE_SHOT
    vocoder = select_vocoder("griffinlim", model, torch.device("cpu"))
    anchors = len(model.latent_analysis["anchors"])
    sounds = [generate(model, duration=4.0, seed=seed, sliders={}, vocoder=vocoder) for seed in range(anchors)]
    return sounds, anchors


def test_generated_hits_ring_as_long_as_the_collection_and_the_longest_are_not_cut(tmp_path, monkeypatch):
    small_network(monkeypatch, steps=300)
    real = torch.tensor(write_tails(tmp_path))
    sounds, _ = one_per_sound(tmp_path, "tails")
    generated = torch.tensor([sounding_seconds(s) for s in sounds])
    shown = f"generated {generated.sort().values.tolist()}, real {real.sort().values.tolist()}"
    assert float(generated.median()) == pytest.approx(float(real.median()), rel=0.25), shown
    assert float(generated.max()) >= 0.75 * float(real.max()), shown  # the 2.4 s tails are learned, not cut


def test_generated_tones_among_noise_hits_keep_their_partials(tmp_path, monkeypatch):
    """Half the collection rings with 5 lines: so must about as many of the sounds it generates.

    Tones alone were kept by the plain VAE too; among noise hits its decoder smeared most of
    them to 2-4 lines (5 of these 24 sounds kept all five), as it did to a real kit's tonal hits.
    """
    small_network(monkeypatch, steps=600)
    write_tones_among_hits(tmp_path)
    sounds, anchors = one_per_sound(tmp_path, "tones")
    counts = sorted(partial_count(s) for s in sounds)
    assert sum(count >= 5 for count in counts) >= 2 / 3 * anchors / 2, counts
