"""Where default training's time goes (docs/benchmarks.md, generation quality: training time).

Trains each collection with the defaults and the resemblance check, as `distill train`
does, and times the first phase, the sharpening phase and the check from the progress the
run reports. Run it alone on the machine: the budgets (drums-rumpf 3 minutes, music 5 on
2 cores) are wall time.

`python benchmarks/bench_training_time.py [drums-rumpf music ...]`
"""

from __future__ import annotations

import itertools
import os
import sys
import tempfile
import time
from functools import partial

import torch
from bench_generation import collection_folder
from rich.console import Console
from rich.table import Table

from distill.inference.assessment import assess
from distill.progress import Progress
from distill.training.runner import train_model

PHASES = {"sharpening": "sharpen", "listening": "check"}  # a progress message's first word -> the phase it starts


def timed_training(name: str) -> dict[str, float]:
    """Seconds of wall time per phase of one default training run of collection `name`."""
    started = time.perf_counter()
    begins = {"first": started}

    def progress(event: Progress) -> None:
        phase = PHASES.get((event.message or "").split(" ", 1)[0])
        if phase is not None and phase not in begins:
            begins[phase] = time.perf_counter()

    with tempfile.TemporaryDirectory() as home:
        os.environ["DISTILL_HOME"] = home
        train_model(
            collection_folder(name), "timed", progress=progress, assess=partial(assess, device=torch.device("cpu"))
        )
    ended = time.perf_counter()
    marks = [*sorted(begins.items(), key=lambda item: item[1]), ("end", ended)]
    seconds = {phase: round(after - at, 1) for (phase, at), (_, after) in itertools.pairwise(marks)}
    return {**seconds, "total": round(ended - started, 1)}


def main() -> None:
    names = sys.argv[1:] or ["drums-rumpf", "music"]
    table = Table(
        "collection",
        "first phase (s)",
        "sharpening (s)",
        "resemblance check (s)",
        "total (s)",
        title=f"Default training, torch threads {torch.get_num_threads()}",
    )
    for name in names:
        seconds = timed_training(name)
        table.add_row(name, *(str(seconds.get(k, "–")) for k in ("first", "sharpen", "check", "total")))
    Console().print(table)


if __name__ == "__main__":
    main()
