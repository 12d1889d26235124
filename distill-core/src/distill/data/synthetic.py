"""The embedded default collection: varied synthetic one-shots, so the demo needs no user data."""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torchaudio.functional as AF

from distill.audio.io import write_audio

SAMPLE_RATE = 48000


def _envelope(n: int, attack: float, decay: float, rate: int) -> torch.Tensor:
    t = torch.arange(n) / rate
    return torch.clamp(t / max(attack, 1e-4), max=1.0) * torch.exp(-t / decay)


def _pluck(g: torch.Generator, n: int, rate: int) -> torch.Tensor:
    f0 = 110 * 2 ** (torch.randint(0, 24, (1,), generator=g).item() / 12)
    t = torch.arange(n) / rate
    partials = sum(torch.sin(2 * math.pi * f0 * k * t) * math.exp(-0.35 * k) / k for k in range(1, 12))
    return partials * _envelope(n, 0.003, 0.25 + 0.5 * torch.rand(1, generator=g).item(), rate)


def _drum(g: torch.Generator, n: int, rate: int) -> torch.Tensor:
    t = torch.arange(n) / rate
    f0 = 45 + 80 * torch.rand(1, generator=g).item()
    sweep = f0 * (1 + 3 * torch.exp(-t / 0.02))
    body = torch.sin(2 * math.pi * torch.cumsum(sweep, 0) / rate) * _envelope(n, 0.001, 0.18, rate)
    click = torch.randn(n, generator=g) * _envelope(n, 0.0005, 0.01, rate)
    return body + 0.4 * click


def _noise_burst(g: torch.Generator, n: int, rate: int) -> torch.Tensor:
    noise = torch.randn(n, generator=g)
    alpha = 0.02 + 0.5 * torch.rand(1, generator=g).item()  # one-pole low-pass: brightness varies
    smoothed = AF.lfilter(noise, torch.tensor([1.0, alpha - 1.0]), torch.tensor([alpha, 0.0]), clamp=False)
    return smoothed / smoothed.abs().max().clamp_min(1e-6) * _envelope(n, 0.01, 0.12, rate)


def _bell(g: torch.Generator, n: int, rate: int) -> torch.Tensor:
    f0 = 300 + 900 * torch.rand(1, generator=g).item()
    t = torch.arange(n) / rate
    ratios = (1.0, 2.76, 5.40, 8.93)
    tone = sum(torch.sin(2 * math.pi * f0 * r * t) * math.exp(-0.6 * i) for i, r in enumerate(ratios))
    return tone * _envelope(n, 0.002, 0.6, rate)


KINDS = {"pluck": _pluck, "drum": _drum, "noise": _noise_burst, "bell": _bell}


def synthesise_collection(count: int = 32, seed: int = 0, rate: int = SAMPLE_RATE) -> dict[str, torch.Tensor]:
    """`count` one-shots (0.5-1.5 s) cycling through plucks, drums, noise bursts and bells."""
    g = torch.Generator().manual_seed(seed)
    sounds = {}
    for index in range(count):
        kind = list(KINDS)[index % len(KINDS)]
        n = int(rate * (0.5 + torch.rand(1, generator=g).item()))
        wav = KINDS[kind](g, n, rate)
        sounds[f"{kind}-{index:02d}"] = 0.8 * wav / wav.abs().max().clamp_min(1e-6)
    return sounds


def write_demo_collection(folder: Path, count: int = 32, seed: int = 0) -> list[Path]:
    """Write the embedded default collection as 48 kHz WAV files into `folder`."""
    folder = Path(folder)
    return [
        write_audio(folder / f"{name}.wav", wav, SAMPLE_RATE)
        for name, wav in synthesise_collection(count, seed).items()
    ]
