"""Every generation, recorded: settings, file, quality and a thumbnail, one JSON file per entry.

One file per entry, named by time plus a random suffix and written atomically, so any
number of `distill generate` processes can record at once without losing an entry.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from distill.errors import DistillError
from distill.fileio import write_text_atomic
from distill.paths import history_dir

THUMBNAIL_POINTS = 64
COMPARED = ("model", "seed", "sliders", "vocoder", "duration", "format", "sample_rate", "channels", "spatial")


def thumbnail(wav: torch.Tensor, points: int = THUMBNAIL_POINTS) -> list[float]:
    """A waveform overview: the peak of each of `points` equal slices, in [0, 1]."""
    mono = wav.abs().amax(dim=0) if wav.dim() == 2 else wav.abs()
    slices = torch.tensor_split(mono, min(points, max(1, mono.numel())))
    return [round(float(s.max()), 4) if s.numel() else 0.0 for s in slices]


def record(document: dict[str, Any], wav: torch.Tensor) -> str:
    """Store one generation; returns its id."""
    entry_id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}"
    entry = {"id": entry_id, **document, "thumbnail": thumbnail(wav)}
    write_text_atomic(history_dir() / f"{entry_id}.json", json.dumps(entry, indent=2, default=str))
    return entry_id


def list_entries() -> list[dict[str, Any]]:
    """All entries, oldest first."""
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(history_dir().glob("*.json"))]


def get_entry(entry_id: str) -> dict[str, Any]:
    """An entry by id or unique id prefix."""
    matches = sorted(history_dir().glob(f"{entry_id}*.json")) if entry_id else []
    if len(matches) != 1:
        problem = "matches several entries" if matches else "is not in the history"
        raise DistillError(f"History entry '{entry_id}' {problem}; see `distill history list`.")
    return json.loads(matches[0].read_text(encoding="utf-8"))


def delete_entry(entry_id: str) -> dict[str, Any]:
    entry = get_entry(entry_id)
    (history_dir() / f"{entry['id']}.json").unlink()
    return entry


def compare(first: str, second: str) -> dict[str, Any]:
    """A/B: both entries' settings side by side, what differs, and each file's quality report."""
    a, b = get_entry(first), get_entry(second)
    return {
        "a": {k: a.get(k) for k in ("id", "path", *COMPARED, "quality")},
        "b": {k: b.get(k) for k in ("id", "path", *COMPARED, "quality")},
        "differences": {k: [a.get(k), b.get(k)] for k in COMPARED if a.get(k) != b.get(k)},
        "files_exist": [Path(str(a.get("path"))).is_file(), Path(str(b.get("path"))).is_file()],
    }
