"""The generator's folded weights, cached beside the official checkpoint.

The official file stores weight-norm pairs; unpickling ~450 MB of them and folding them
on every load is most of what loading costs. The first load writes the folded state
(atomically) next to the downloaded files; later loads memory-map it. The cache records
the size and modification time of `config.json` and `bigvgan_generator.pt`, so replacing
either (a new download, files placed by hand) rebuilds it.
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from distill.vocoders import atomic_path

CACHE_FILE = "bigvgan_generator.folded.pt"
CACHE_FORMAT = 2  # 2: convolution weights stored in the order `time_major` reads them


def source_key(directory: Path, sources: tuple[str, ...]) -> dict[str, list[int]]:
    """What the cache was built from: size and mtime (ns) of each source file, plus the cache format."""
    key = {"format": [CACHE_FORMAT]}
    for name in sources:
        stat = os.stat(directory / name)
        key[name] = [stat.st_size, stat.st_mtime_ns]
    return key


def read_cached_state(directory: Path, sources: tuple[str, ...]) -> dict[str, torch.Tensor] | None:
    """The cached folded state if it was built from the files now in `directory`, else None."""
    path = directory / CACHE_FILE
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        if payload["key"] != source_key(directory, sources):
            return None
        return payload["state"]
    except Exception:  # unreadable or from another layout: rebuild it
        return None


def write_cached_state(directory: Path, sources: tuple[str, ...], state: dict[str, torch.Tensor]) -> bool:
    """Write the cache; False (and no file) where the folder is not writable: loading still works, only slower."""
    try:
        with atomic_path(directory / CACHE_FILE) as tmp:
            torch.save({"key": source_key(directory, sources), "state": state}, tmp)
    except OSError:
        return False
    return True
