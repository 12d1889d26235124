"""Why the training run's own resemblance check reads higher than `bench_generation`'s table.

Coverage (Naeem et al. 2020) counts the reference sounds that have a generated sound within
the distance of their k-th nearest reference neighbour: the more reference sounds, the
smaller those distances, so the same sounds cover less of a larger reference. The
generation table scores the generated sounds against the whole collection but the
collection against itself half against half; the training check (`inference/assessment.py`)
scores both against the same half. This rescores the saved renders of
`bench_generation.py` both ways, beside the collection's own figure on the same footing:
the generated sounds (as many as the other half holds) against each random half, averaged
over five halves.

`python benchmarks/bench_generation_coverage.py [drums-rumpf drums-millo sfx music demo]`
(after `bench_generation.py` has rendered them).
"""

from __future__ import annotations

import sys

import torch
from bench_generation import COUNT, OUT, RATE, real_sounds
from rich.console import Console
from rich.table import Table

from distill.audio.io import load_audio
from distill.audio.resemblance import feature_matrix, score

SPLITS = 5


def saved_renders(name: str) -> torch.Tensor:
    """Features of the newest `COUNT` renders `bench_generation.py` saved for `name`."""
    paths = sorted((OUT / name / "renders").glob("*.wav"), key=lambda p: p.stat().st_mtime)[-COUNT:]
    if not paths:
        raise SystemExit(f"No renders of {name} in {OUT / name / 'renders'}: run benchmarks/bench_generation.py first.")
    return feature_matrix([load_audio(path, RATE) for path in paths])


def against_halves(real: torch.Tensor, generated: torch.Tensor) -> tuple[float, float]:
    """Mean coverage of (the generated sounds, the other half) against each random half, equal in number."""
    ours, theirs = [], []
    for seed in range(SPLITS):
        order = torch.randperm(real.shape[0], generator=torch.Generator().manual_seed(seed))
        half = real.shape[0] // 2
        reference, others = real[order[:half]], real[order[half:]]
        count = min(others.shape[0], generated.shape[0])
        ours.append(score(reference, generated[:count]).coverage)
        theirs.append(score(reference, others[:count]).coverage)
    return sum(ours) / SPLITS, sum(theirs) / SPLITS


def main(names: list[str]) -> None:
    table = Table(title="Coverage of the same generated sounds, scored two ways")
    for column in (
        "collection",
        "excerpts",
        "generated vs whole collection (the table's)",
        "generated vs a half",
        "the other half vs a half",
    ):
        table.add_column(column)
    for name in names:
        real, generated = feature_matrix(real_sounds(name)), saved_renders(name)
        ours, theirs = against_halves(real, generated)
        whole = score(real, generated).coverage
        table.add_row(name, str(real.shape[0]), f"{whole:.2f}", f"{ours:.2f}", f"{theirs:.2f}")
    Console(width=160).print(table)


if __name__ == "__main__":
    main(sys.argv[1:] or ["drums-rumpf", "drums-millo", "sfx", "music", "demo"])
