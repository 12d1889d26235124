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

from distill.documents import NotPlain, finite_json, plain_json
from distill.errors import DistillError
from distill.fileio import io_problem, visible_files, write_text_atomic
from distill.names import check_name, is_safe_name, shown
from distill.paths import history_dir

SUFFIX = ".json"
MAX_ENTRY_BYTES = 1_000_000  # an entry is a few kB; a larger file is not one Distill wrote
MAX_THUMBNAIL = 4096  # levels in a waveform thumbnail (Distill writes 64)
COMPARED = ("model", "seed", "sliders", "vocoder", "duration", "format", "sample_rate", "channels", "spatial")


def new_entry_id() -> str:
    """A fresh entry id: the time, then a random suffix, so concurrent processes never collide."""
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}-{secrets.token_hex(4)}"


def record(document: dict[str, Any], thumbnail: list[float], entry_id: str | None = None) -> str:
    """Store one generation with its file's waveform overview (`distill.audio.overview`); returns its id.

    Given `entry_id` (from `new_entry_id`), a caller interrupted at any moment knows which
    entry to `forget`.
    """
    entry_id = entry_id or new_entry_id()
    entry = {"id": entry_id, **document, "thumbnail": thumbnail}
    text = json.dumps(finite_json(entry), indent=2, default=str)  # never an `Infinity` its reader would refuse
    write_text_atomic(history_dir() / f"{entry_id}{SUFFIX}", text)
    return entry_id


log = logging.getLogger(__name__)


def _entry_problem(entry: object) -> str | None:
    """Why a parsed entry cannot be shown (the fields the lists and players use), or None."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    thumbnail = entry.get("thumbnail", [])
    if not (
        isinstance(thumbnail, list)
        and len(thumbnail) <= MAX_THUMBNAIL
        and all(isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in thumbnail)
    ):
        return "its waveform thumbnail is not a list of levels"
    for key, kind in (("quality", dict), ("path", str), ("duration", int | float)):
        if entry.get(key) is not None and not isinstance(entry[key], kind):
            return f"its {key} is damaged"
    return None


def _read(path: Path) -> dict[str, Any]:
    """One entry; its id is its file name, whatever the file says."""
    try:
        if path.stat().st_size > MAX_ENTRY_BYTES:
            raise NotPlain(f"it is larger than {MAX_ENTRY_BYTES // 1000:,} kB")
        entry = plain_json(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DistillError(f"History entry {path.name} cannot be read ({io_problem(exc)}).") from exc
    except (NotPlain, UnicodeDecodeError) as exc:
        raise DistillError(f"History entry {path.name} is damaged ({str(exc)[:120]}).") from exc
    problem = _entry_problem(entry)
    if problem is not None:
        raise DistillError(f"History entry {path.name} is damaged ({problem}).")
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


def forget(entry_id: str) -> None:
    """Remove entry `entry_id` if it was written (rolling back an interrupted generation)."""
    (history_dir() / f"{check_name(entry_id, 'History id')}{SUFFIX}").unlink(missing_ok=True)


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
