"""Griffin-Lim real-time factor on this machine (seconds of audio per second of wall time)."""

from __future__ import annotations

import platform
import time

import torch
from rich.console import Console
from rich.table import Table

from distill.vocoders import SpectrogramConfig, waveform_to_mel
from distill_vocoder_griffinlim import GriffinLimVocoder


def realtime_factor(vocoder: GriffinLimVocoder, mel: torch.Tensor, seconds: float, repeats: int = 3) -> float:
    vocoder.mel_to_waveform(mel[..., :32])  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        vocoder.mel_to_waveform(mel)
        best = min(best, time.perf_counter() - start)
    return seconds / best


def main() -> None:
    config = SpectrogramConfig()
    generator = torch.Generator().manual_seed(0)
    table = Table(
        "audio (s)",
        "iterations",
        "threads",
        "RTF (x real time)",
        title=f"Griffin-Lim on {platform.processor() or platform.machine()}, torch {torch.__version__}",
    )
    for seconds in (10.0, 60.0, 600.0):  # 600 s: chunked, so speed and memory stay per-chunk
        wav = 0.1 * torch.randn(1, int(seconds * config.sample_rate), generator=generator)
        mel = waveform_to_mel(wav, config)
        for n_iter in (32, 64):
            repeats = 3 if seconds < 100 else 1
            rtf = realtime_factor(GriffinLimVocoder(config, n_iter=n_iter), mel, seconds, repeats)
            table.add_row(f"{seconds:g}", str(n_iter), str(torch.get_num_threads()), f"{rtf:.1f}")
    Console().print(table)


if __name__ == "__main__":
    main()
