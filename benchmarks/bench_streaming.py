"""Peak memory of `distill generate` against the length of the sound: 1, 10 and 60 minutes.

A render is streamed to disk piece by piece (decode -> vocode -> place -> resample ->
export, then a second pass for the peak ceiling), so peak memory should stay flat as the
length grows; before streaming it grew by about 1.8 MB per second of audio. A demo model
is trained in a temporary home, then each length is generated with Griffin-Lim in a child
process whose peak resident set size is read from the kernel (`wait4`).
`DISTILL_BENCH_MINUTES="1 10"` picks the lengths.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from distill.data.synthetic import write_demo_collection

TRAIN = ("--model-name", "long", "--preset", "demo", "--epochs", "3")
CASES = (("mono", ()), ("stereo", ("--spatial-mode", "stereo")))


def run(command: list[str], env: dict[str, str]) -> tuple[str, float, int]:
    """stdout, wall seconds and peak RSS in bytes of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{' '.join(command)} failed with exit status {child.returncode}")
    return out, time.perf_counter() - started, usage.ru_maxrss * 1024  # Linux reports KiB


def main() -> None:
    lengths = [float(m) for m in os.environ.get("DISTILL_BENCH_MINUTES", "1 10 60").split()]
    distill = [sys.executable, "-m", "distill.cli.main"]
    table = Table(
        "length",
        "placement",
        "file (MiB)",
        "peak RSS (MiB)",
        "wall (s)",
        "real-time factor",
        "loudness (LUFS)",
        title=f"distill generate --vocoder griffinlim, on {platform.machine()} with {os.cpu_count()} cores",
    )
    with tempfile.TemporaryDirectory() as scratch:
        data, home, out = (Path(scratch) / name for name in ("data", "home", "out"))
        write_demo_collection(data, count=8)
        env = {**os.environ, "DISTILL_HOME": str(home)}
        subprocess.run([*distill, "train", str(data), *TRAIN], env=env, check=True, stdout=subprocess.DEVNULL)
        for minutes in lengths:
            for placement, options in CASES if minutes <= 10 else CASES[:1]:
                command = [*distill, "generate", "long", "-d", str(minutes * 60), "--mode", "texture"]
                command += ["--vocoder", "griffinlim", "--output-dir", str(out), "--json", *options]
                text, seconds, peak = run(command, env)
                [document] = json.loads(text)["files"]
                path = Path(document["path"])
                table.add_row(
                    f"{minutes:g} min",
                    placement,
                    f"{path.stat().st_size / 2**20:.0f}",
                    f"{peak / 2**20:.0f}",
                    f"{seconds:.0f}",
                    f"{document['duration'] / seconds:.1f}x",
                    str(document["quality"]["loudness_lufs"]),
                )
                path.unlink()
    Console().print(table)


if __name__ == "__main__":
    main()
