"""Generated sounds taken out as a kit: one zip of the files, or a sampler instrument.

A kit holds each sound under a name the user patterns (model, note, seed, slider values…),
with its sidecar beside it, and, as an instrument, an SFZ file (any SFZ player) and a
Decent Sampler `.dspreset` mapping one sound per key from `first_key` up. The samples are
the generated files byte for byte; their levels are matched in the mapping (each region's
volume brings its sound's RMS level to the kit's median), so nothing is re-encoded. The zip
is written atomically.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import soundfile as sf

from distill import __version__
from distill.audio.io import sf_path
from distill.errors import DistillError
from distill.fileio import atomic_path

DEFAULT_PATTERN = "{model}-{note}-s{seed}"
TOKENS = ("model", "seed", "index", "note", "vocoder", "sliders")
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MAX_GAIN_DB = 24.0
SAMPLES = "samples"


@dataclass(frozen=True)
class KitSound:
    """One sound in a kit: where its file is, the key it sits on, its name there and its level match."""

    source: Path
    key: int
    name: str  # file name inside the kit, extension included
    volume_db: float


def note_name(key: int) -> str:
    """MIDI key -> note name, middle C (60) as C4."""
    return f"{NOTE_NAMES[key % 12]}{key // 12 - 1}"


def _slider_text(sliders: dict[str, float] | None) -> str:
    return "_".join(f"{name}{value:+.2f}" for name, value in (sliders or {}).items()) or "defaults"


def file_stem(pattern: str, record: dict[str, Any], index: int, key: int) -> str:
    """The pattern filled in for one sound, made safe as a file name (no folders, no odd characters)."""
    values = {
        "model": record.get("model", "sound"),
        "seed": record.get("seed", index),
        "index": index + 1,
        "note": note_name(key),
        "vocoder": record.get("vocoder", ""),
        "sliders": _slider_text(record.get("sliders")),
    }
    try:
        filled = pattern.format(**values)
    except (KeyError, IndexError, ValueError):
        allowed = ", ".join("{" + t + "}" for t in TOKENS)
        raise DistillError(f"The file-name pattern '{pattern}' can use only {allowed}.") from None
    safe = re.sub(r"[^A-Za-z0-9 _.+#-]+", "-", filled).strip(" .-")
    return safe[:120] or f"sound-{index + 1}"


def level_db(path: Path) -> float | None:
    """A sound's RMS level in dB (all channels), None for silence."""
    data, _ = sf.read(sf_path(path), dtype="float32", always_2d=True)
    mean_square = float((data.astype("float64") ** 2).mean()) if data.size else 0.0
    return 10 * math.log10(mean_square) if mean_square > 0 else None


def plan_kit(records: Sequence[dict[str, Any]], pattern: str, first_key: int) -> list[KitSound]:
    """Which file goes on which key under which name, and the gain that matches its level to the others'."""
    if not records:
        raise DistillError("There are no sounds to put in a kit yet.")
    if not 0 <= first_key <= 127 - (len(records) - 1):
        raise DistillError(f"{len(records)} sounds from key {first_key} do not fit on MIDI keys 0-127.")
    sources = [Path(r["path"]) for r in records]
    missing = [s.name for s in sources if not s.is_file()]
    if missing:
        raise DistillError(f"These sounds are no longer on disk: {', '.join(missing)}.")
    levels = [level_db(s) for s in sources]
    target = statistics.median([lv for lv in levels if lv is not None] or [0.0])
    sounds, taken = [], set()
    for index, (record, source, level) in enumerate(zip(records, sources, levels, strict=True)):
        key = first_key + index
        stem = file_stem(pattern, record, index, key)
        name, count = f"{stem}{source.suffix}", 1
        while name.lower() in taken:
            count += 1
            name = f"{stem}-{count}{source.suffix}"
        taken.add(name.lower())
        gain = 0.0 if level is None else max(-MAX_GAIN_DB, min(MAX_GAIN_DB, target - level))
        sounds.append(KitSound(source, key, name, round(gain, 1)))
    return sounds


def sfz_text(kit: str, sounds: Sequence[KitSound]) -> str:
    """An SFZ instrument: one region per sound, one key each, one-shot playback, levels matched."""
    lines = [
        f"// '{kit}', a kit of {len(sounds)} sounds made with Distill {__version__}.",
        "// One sound per key; volume= matches each sound's level (RMS) to the kit's median.",
        "<control>",
        f"default_path={SAMPLES}/",
        "<global>",
        "loop_mode=one_shot",
    ]
    for sound in sounds:
        lines += [
            "<region>",
            f"sample={sound.name}",
            f"lokey={sound.key} hikey={sound.key} pitch_keycenter={sound.key}",
            f"volume={sound.volume_db:g}",
        ]
    return "\n".join(lines) + "\n"


def dspreset_text(sounds: Sequence[KitSound]) -> str:
    """The same mapping for Decent Sampler."""
    samples = "\n".join(
        f'      <sample path={quoteattr(f"{SAMPLES}/{s.name}")} rootNote="{s.key}" loNote="{s.key}" '
        f'hiNote="{s.key}" volume="{s.volume_db:g}dB" trigger="attack"/>'
        for s in sounds
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<DecentSampler minVersion="1.0.0">\n  <groups>\n    <group>\n'
        f"{samples}\n    </group>\n  </groups>\n</DecentSampler>\n"
    )


def write_kit(
    records: Sequence[dict[str, Any]],
    target: Path,
    kit: str,
    pattern: str = DEFAULT_PATTERN,
    first_key: int = 36,
    instrument: bool = True,
) -> Path:
    """The zip at `target`: the sounds under `samples/` with their sidecars, and (`instrument`) the mappings."""
    sounds = plan_kit(records, pattern, first_key)
    with atomic_path(target) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for sound, record in zip(sounds, records, strict=True):
            archive.write(sound.source, f"{SAMPLES}/{sound.name}")
            sidecar = sound.source.with_suffix(".json")
            document = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.is_file() else dict(record)
            document["kit"] = {
                "name": kit,
                "key": sound.key,
                "note": note_name(sound.key),
                "volume_db": sound.volume_db,
            }
            archive.writestr(f"{SAMPLES}/{Path(sound.name).stem}.json", json.dumps(document, indent=2, default=str))
        if instrument:
            archive.writestr(f"{kit}.sfz", sfz_text(kit, sounds))
            archive.writestr(f"{kit}.dspreset", dspreset_text(sounds))
    return Path(target)
