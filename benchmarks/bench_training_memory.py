"""Peak memory of `distill train` on one long recording, against the size of the file.

An hour of 44.1 kHz mono 16-bit WAV (303 MiB) is synthesised into a temporary folder and
trained on for one epoch of the demo preset in a child process; its peak resident set
size is the number that decides whether a collection of a few hours fits in memory.
`DISTILL_BENCH_MINUTES` changes the length.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from rich.console import Console
from rich.table import Table

RATE = 44100
TRAIN_OPTIONS = ("--model-name", "long", "--preset", "demo", "--epochs", "1")


def synthesise(path: Path, minutes: float) -> None:
    """A gliding, pulsing tone with a little noise, written a minute at a time."""
    rng = np.random.default_rng(0)
    total = int(minutes * 60 * RATE)
    with sf.SoundFile(path, "w", RATE, 1, "PCM_16") as out:
        for start in range(0, total, 60 * RATE):
            t = np.arange(start, min(total, start + 60 * RATE)) / RATE
            glide = np.sin(2 * np.pi * (220 + 50 * np.sin(2 * np.pi * t / 7)) * t)
            tone = glide * (0.5 + 0.5 * np.sin(2 * np.pi * t / 3))
            out.write((0.3 * tone + 0.02 * rng.standard_normal(t.size)).astype(np.float32))


def main() -> None:
    minutes = float(os.environ.get("DISTILL_BENCH_MINUTES", "60"))
    with tempfile.TemporaryDirectory() as scratch:
        data, home = Path(scratch) / "data", Path(scratch) / "home"
        data.mkdir()
        synthesise(data / "long.wav", minutes)
        size = (data / "long.wav").stat().st_size
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "distill.cli.main", "train", str(data), *TRAIN_OPTIONS],
            env={**os.environ, "DISTILL_HOME": str(home)},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux reports KiB
    table = Table(
        "recording",
        "file (MiB)",
        "peak RSS (MiB)",
        "peak / file",
        "wall (s)",
        title=f"distill train, one epoch of the demo preset, on {platform.machine()} with {os.cpu_count()} cores",
    )
    table.add_row(
        f"{minutes:g} min, 44.1 kHz mono 16-bit",
        f"{size / 2**20:.0f}",
        f"{peak / 2**20:.0f}",
        f"{peak / size:.1f}x",
        f"{seconds:.0f}",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
