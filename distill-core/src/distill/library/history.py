"""Every generation, recorded: settings, file, quality and a thumbnail, one JSON file per entry.

One file per entry, named by time plus a random suffix and written atomically, so any
number of `distill generate` processes can record at once without losing an entry.
"""

from __future__ import annotations

import json
import logging
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from distill.errors import DistillError
from distill.fileio import visible_files, write_text_atomic
from distill.names import is_safe_name, shown
from distill.paths import history_dir

SUFFIX = ".json"
COMPARED = ("model", "seed", "sliders", "vocoder", "duration", "format", "sample_rate", "channels", "spatial")


def record(document: dict[str, Any], thumbnail: list[float]) -> str:
    """Store one generation with its file's waveform overview (`distill.audio.overview`); returns its id."""
    entry_id = f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}"
    entry = {"id": entry_id, **document, "thumbnail": thumbnail}
    write_text_atomic(history_dir() / f"{entry_id}{SUFFIX}", json.dumps(entry, indent=2, default=str))
    return entry_id


log = logging.getLogger(__name__)


def _read(path: Path) -> dict[str, Any]:
    """One entry; its id is its file name, whatever the file says."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DistillError(f"History entry {path.name} is damaged ({type(exc).__name__}).") from exc
    if not isinstance(entry, dict):
        raise DistillError(f"History entry {path.name} is damaged (not a JSON object).")
    return {**entry, "id": path.stem}


def list_entries() -> list[dict[str, Any]]:
    """All entries, oldest first; a damaged file is skipped with a warning, never fatal."""
    entries = []
    for path in visible_files(history_dir(), SUFFIX):
        try:
            entries.append(_read(path))
        except DistillError as exc:
            if path.exists():  # not deleted meanwhile by another process
                log.warning("%s; it was left out of the list.", str(exc).rstrip("."))
    return entries


def _entry_path(entry_id: str) -> Path:
    """The file of an entry by id or unique id prefix; ids are matched, never used as paths."""
    names = visible_files(history_dir(), SUFFIX) if is_safe_name(entry_id) else []
    matches = [p for p in names if p.stem.startswith(entry_id)]
    exact = [p for p in matches if p.stem == entry_id]
    if len(exact) == 1 or len(matches) == 1:
        return (exact or matches)[0]
    problem = "matches several entries" if matches else "is not in the history"
    raise DistillError(f"History entry {shown(entry_id)} {problem}; see `distill history list`.")


def get_entry(entry_id: str) -> dict[str, Any]:
    """An entry by id or unique id prefix."""
    return _read(_entry_path(entry_id))


def delete_entry(entry_id: str) -> dict[str, Any]:
    path = _entry_path(entry_id)
    try:
        entry = _read(path)
    except DistillError:  # a damaged entry can still be deleted
        entry = {"id": path.stem}
    path.unlink(missing_ok=True)
    return entry


def set_starred(entry_id: str, starred: bool) -> dict[str, Any]:
    """Mark an entry as a favourite (or not): stored in its own file, rewritten atomically."""
    path = _entry_path(entry_id)
    entry = {**_read(path), "starred": bool(starred)}
    write_text_atomic(path, json.dumps(entry, indent=2, default=str))
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
